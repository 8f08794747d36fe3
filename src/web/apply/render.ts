import { describeProduct, type IntakeInput, SERVICES } from '../../modules/leads/index.ts';
import {
  answerField,
  CONSENT,
  type FormError,
  type FormValues,
  PATHS,
  type Question,
  type QuestionSet,
} from './form.ts';
import { flag, type Html, html } from './html.ts';

/** Server-rendered pages of the public intake form: the form, the confirmation and the error pages. */

export const ASSETS = '/apply/_assets';

export interface PageTenant {
  slug: string;
  name: string;
}

/** Where the form is shown: its own page, or inside a host site's iframe (embed.js). */
export type Mode = 'page' | 'embed';

export const formAction = (slug: string, mode: Mode) =>
  mode === 'embed' ? `/apply/${encodeURIComponent(slug)}/embed` : `/apply/${encodeURIComponent(slug)}`;

export const fieldId = (field: string) => `f-${field.replace(/\./g, '-')}`;

function page(opts: { title: string; mode: Mode; tenantName?: string; body: Html }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSETS}/apply.css">
<script src="${ASSETS}/apply.js" defer></script>
</head>
<body class="${opts.mode === 'embed' ? 'embedded' : 'standalone'}">
${
  opts.mode === 'page' && opts.tenantName
    ? html`<header class="site-header"><p class="brand">${opts.tenantName}</p></header>`
    : ''
}
<main id="main" class="container">
${opts.body}
</main>
</body>
</html>
`.value;
}

// ---------- fields ----------

interface FieldCtx {
  errors: Map<string, string>;
}

const errorText = (c: FieldCtx, field: string) => c.errors.get(field);

function errorMessage(id: string, message: string | undefined) {
  return message
    ? html`<p class="error-message" id="${id}-error"><span class="visually-hidden">Error:</span> ${message}</p>`
    : '';
}

const describedBy = (id: string, hint: boolean, error: boolean) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');

function textField(
  c: FieldCtx,
  o: {
    field: string;
    label: string;
    value: string;
    hint?: string;
    type?: 'text' | 'email' | 'tel';
    autocomplete?: string;
    inputmode?: string;
    required?: boolean;
    width?: 'short' | 'full';
    extra?: Html;
    /** Shown by apply.js when a required field is left empty (the server says the same). */
    message?: string;
  },
) {
  const id = fieldId(o.field);
  const err = errorText(c, o.field);
  const by = describedBy(id, Boolean(o.hint), Boolean(err));
  return html`<div class="field${err ? ' field-error' : ''}">
<label for="${id}">${o.label}${o.required ? '' : html` <span class="optional">(optional)</span>`}</label>
${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
${errorMessage(id, err)}
<input class="input ${o.width === 'short' ? 'input-short' : ''}" id="${id}" name="${o.field}" type="${o.type ?? 'text'}" value="${o.value}"${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${by ? html` aria-describedby="${by}"` : ''}${flag('aria-invalid="true"', Boolean(err))}${flag('required', Boolean(o.required))}${o.required && o.message ? html` data-required-message="${o.message}"` : ''} spellcheck="false">
${o.extra ?? ''}
</div>`;
}

function choiceGroup(
  c: FieldCtx,
  o: {
    field: string;
    legend: string;
    options: { value: string; label: string }[];
    selected: string[];
    multiple?: boolean;
    hint?: string;
    required?: boolean;
    inline?: boolean;
    message?: string;
  },
) {
  const id = fieldId(o.field);
  const err = errorText(c, o.field);
  const by = describedBy(id, Boolean(o.hint), Boolean(err));
  return html`<fieldset class="field group${err ? ' field-error' : ''}" id="${id}"${by ? html` aria-describedby="${by}"` : ''}${o.required ? html` data-required-message="${o.message ?? `Answer "${o.legend}"`}"` : ''}>
<legend class="group-legend">${o.legend}${o.required ? '' : html` <span class="optional">(optional)</span>`}</legend>
${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
${errorMessage(id, err)}
<div class="options${o.inline ? ' options-inline' : ''}">
${o.options.map(
  (opt, i) => html`<div class="option">
<input class="${o.multiple ? 'checkbox' : 'radio'}" id="${id}-${i}" name="${o.field}" type="${o.multiple ? 'checkbox' : 'radio'}" value="${opt.value}"${flag('checked', o.selected.includes(opt.value))}${flag('required', Boolean(o.required && !o.multiple))}>
<label for="${id}-${i}">${opt.label}</label>
</div>`,
)}
</div>
</fieldset>`;
}

function questionField(c: FieldCtx, q: Question, value: string | string[] | undefined) {
  const field = answerField(q.key);
  const label = q.label ?? q.key;
  const required = Boolean(q.required);
  const text = typeof value === 'string' ? value : '';
  switch (q.type) {
    case 'boolean':
      return choiceGroup(c, {
        field,
        legend: label,
        required,
        inline: true,
        selected: [text],
        options: [
          { value: 'yes', label: 'Yes' },
          { value: 'no', label: 'No' },
        ],
      });
    case 'choice':
    case 'multi_choice':
      return choiceGroup(c, {
        field,
        legend: label,
        required,
        message: q.type === 'multi_choice' ? `Select at least one answer to "${label}"` : `Answer "${label}"`,
        multiple: q.type === 'multi_choice',
        hint: q.type === 'multi_choice' ? 'Select all that apply.' : undefined,
        selected: Array.isArray(value) ? value : [text],
        options: (q.options ?? []).map((o) => ({ value: o, label: capitalize(o.replace(/_/g, ' ')) })),
      });
    case 'number':
    case 'integer':
      return textField(c, {
        field,
        label,
        value: text,
        required,
        message: `Answer "${label}"`,
        width: 'short',
        inputmode: q.type === 'integer' ? 'numeric' : 'decimal',
      });
    default:
      return textField(c, { field, label, value: text, required, message: `Answer "${label}"` });
  }
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

// ---------- the form ----------

export interface FormPage {
  tenant: PageTenant;
  set: QuestionSet | null;
  values: FormValues;
  errors: FormError[];
  mode: Mode;
}

function errorSummary(errors: FormError[], set: QuestionSet | null) {
  if (!errors.length) return '';
  // Without JavaScript, autofocus moves focus to the summary; apply.js does the same after client-side checks.
  return html`<div class="error-summary" id="error-summary" tabindex="-1" autofocus aria-labelledby="error-summary-title" role="alert">
<h2 class="error-summary-title" id="error-summary-title">There is a problem</h2>
<ul class="error-list">
${errors.map((e) => html`<li><a href="#${targetOf(e.field, set)}">${e.message}</a></li>`)}
</ul>
</div>`;
}

/** The element a summary link jumps to: the input, or the first option of a group. */
function targetOf(field: string, set: QuestionSet | null) {
  if (field === 'form') return 'main';
  if (field === 'service' || field === 'selectedPath') return `${fieldId(field)}-0`;
  const q = set?.questions.find((x) => answerField(x.key) === field);
  if (q && !['string', 'number', 'integer'].includes(q.type)) return `${fieldId(field)}-0`;
  return fieldId(field);
}

export function renderForm(p: FormPage): string {
  const c: FieldCtx = { errors: new Map() };
  for (const e of p.errors) if (!c.errors.has(e.field)) c.errors.set(e.field, e.message);
  const questions = p.set?.questions ?? [];
  const v = p.values;
  const consentText = CONSENT.text.replace('{tenant}', p.tenant.name);
  const steps: Html[] = [];
  steps.push(html`<fieldset class="step" id="step-home" data-step="home">
<legend class="step-legend"><span class="step-number"></span>Your home</legend>
${textField(c, {
  field: 'postcode',
  label: 'Eircode or postcode',
  hint: 'We check which installers cover your area. For example, D02 X285.',
  value: v.postcode,
  autocomplete: 'postal-code',
  required: true,
  message: 'Enter your Eircode or postcode',
  width: 'short',
  extra: html`<p class="status" id="serviceability" role="status" aria-live="polite"></p>`,
})}
${choiceGroup(c, {
  field: 'service',
  legend: 'What would you like a quote for?',
  required: true,
  message: 'Choose what you would like a quote for',
  selected: [v.service],
  options: SERVICES.map((s) => ({ value: s.code, label: s.label })),
})}
</fieldset>`);
  if (questions.length) {
    steps.push(html`<fieldset class="step" id="step-assessment" data-step="assessment">
<legend class="step-legend"><span class="step-number"></span>About your home</legend>
<p class="hint">Your answers help us size the system. Answer what you know.</p>
${questions.map((q) => questionField(c, q, v.answers[q.key]))}
</fieldset>`);
  }
  steps.push(html`<fieldset class="step" id="step-path" data-step="path">
<legend class="step-legend"><span class="step-number"></span>Your estimate</legend>
<div class="recommendation" id="recommendation" aria-live="polite">
<p class="hint" id="recommendation-later">We work out your first estimate from your answers and show it once you send this form.</p>
</div>
${choiceGroup(c, {
  field: 'selectedPath',
  legend: 'How would you like to go ahead?',
  required: true,
  message: 'Choose how you would like to go ahead',
  selected: [v.selectedPath],
  options: PATHS.map((x) => ({ value: x.code, label: x.label })),
})}
</fieldset>`);
  steps.push(html`<fieldset class="step" id="step-contact" data-step="contact">
<legend class="step-legend"><span class="step-number"></span>Your details</legend>
${textField(c, {
  field: 'name',
  label: 'Full name',
  value: v.name,
  autocomplete: 'name',
  required: true,
  message: 'Enter your name',
})}
${textField(c, {
  field: 'email',
  label: 'Email address',
  hint: 'Give an email address, a phone number or both.',
  value: v.email,
  type: 'email',
  autocomplete: 'email',
})}
${textField(c, { field: 'phone', label: 'Phone number', value: v.phone, type: 'tel', autocomplete: 'tel' })}
<fieldset class="field group consent${c.errors.has('consentTerms') ? ' field-error' : ''}" id="f-consent"${c.errors.has('consentTerms') ? html` aria-describedby="f-consentTerms-error"` : ''}>
<legend class="group-legend">How we use your details</legend>
<p class="consent-text" id="consent-text">${consentText}</p>
<p class="hint">Consent text version ${CONSENT.version}.</p>
${errorMessage('f-consentTerms', c.errors.get('consentTerms'))}
<input type="hidden" name="consentVersion" value="${CONSENT.version}">
<div class="option">
<input class="checkbox" id="f-consentTerms" name="consentTerms" type="checkbox" value="yes" aria-describedby="consent-text" data-required-message="Tick the box to agree to how we use your details"${flag('checked', v.consentTerms)}${flag('aria-invalid="true"', c.errors.has('consentTerms'))} required>
<label for="f-consentTerms">I agree to this</label>
</div>
<div class="option">
<input class="checkbox" id="f-consentMarketing" name="consentMarketing" type="checkbox" value="yes"${flag('checked', v.consentMarketing)}>
<label for="f-consentMarketing">${CONSENT.marketing}</label>
</div>
</fieldset>
<div class="actions"><button class="button button-primary" type="submit" id="submit">Send my request</button></div>
</fieldset>`);
  const body = html`<h1 class="title">Get quotes for your home</h1>
<p class="lede">Solar panels, batteries, heat pumps and car chargers from installers ${p.tenant.name} has vetted. It takes about two minutes, and it is free.</p>
${errorSummary(p.errors, p.set)}
<form class="apply-form" method="post" action="${formAction(p.tenant.slug, p.mode)}" novalidate data-tenant="${p.tenant.slug}" data-serviceability="/api/public/${encodeURIComponent(p.tenant.slug)}/serviceability" data-recommendation="/apply/${encodeURIComponent(p.tenant.slug)}/recommendation"${p.errors.length ? html` data-has-errors="true"` : ''}>
${steps}
</form>`;
  return page({
    title: `${p.errors.length ? 'Error: ' : ''}Get quotes - ${p.tenant.name}`,
    mode: p.mode,
    tenantName: p.tenant.name,
    body,
  });
}

// ---------- the estimate (confirmation page and the live preview) ----------

const money = (m: { amount: number; currency: string } | undefined) =>
  m ? `${m.currency} ${Math.round(m.amount / 100).toLocaleString('en-IE')}` : '—';

export function renderRecommendation(r: NonNullable<IntakeInput['recommendation']>): Html {
  const product = r.products?.[0];
  return html`<div class="estimate">
<h3 class="estimate-title">${product ? describeProduct(product) : 'Your estimate'}</h3>
<dl class="estimate-figures">
<div><dt>Installed cost, about</dt><dd>${money(r.estimatedCost)}</dd></div>
<div><dt>Saving a year, about</dt><dd>${money(r.estimatedAnnualSavings)}</dd></div>
<div><dt>Pays for itself in</dt><dd>${r.paybackYears ?? '—'} years</dd></div>
<div><dt>CO₂ avoided a year</dt><dd>${r.co2SavedKgPerYear ?? '—'} kg</dd></div>
</dl>
<p class="hint">A first estimate from your answers; your installer confirms it after a survey.</p>
</div>`;
}

// ---------- confirmation ----------

export function renderConfirmation(p: {
  tenant: PageTenant;
  mode: Mode;
  reference: string;
  name: string;
  selectedPath: string;
  recommendation?: IntakeInput['recommendation'];
  area: { serviceable: boolean; regionName: string | null } | null;
  /** How many installers a compare-quotes lead goes to (tenant setting). */
  compareQuotesCount: number;
}): string {
  const path = PATHS.find((x) => x.code === p.selectedPath);
  const next =
    p.area && !p.area.serviceable
      ? 'We keep your request and contact you as soon as an installer covers your area.'
      : p.selectedPath === 'recommended'
        ? 'The installer we recommend for your area will contact you, usually within two working days.'
        : p.selectedPath === 'compare_quotes'
          ? `Up to ${p.compareQuotesCount} installers who cover your area will contact you with their quotes.`
          : 'We will send you your estimate. Nobody will call you unless you ask for quotes.';
  const body = html`<div class="panel-confirmation">
<h1 class="title" id="confirmation-title" tabindex="-1">Thank you, we have your request</h1>
<p class="reference">Your reference: <strong id="reference">${p.reference}</strong></p>
</div>
<p>Thank you, ${p.name}. Keep the reference in case you contact us.</p>
${
  p.area
    ? html`<p class="status ${p.area.serviceable ? 'status-ok' : 'status-no'}" id="area">${
        p.area.serviceable
          ? `Installers cover your area${p.area.regionName ? ` (${p.area.regionName})` : ''}.`
          : 'We do not have an installer in your area yet.'
      }</p>`
    : ''
}
${p.recommendation ? html`<h2>Your first estimate</h2>${renderRecommendation(p.recommendation)}` : ''}
<h2>What happens next</h2>
<p>You chose: ${path?.label ?? p.selectedPath}.</p>
<p>${next}</p>`;
  return page({ title: `Request received - ${p.tenant.name}`, mode: p.mode, tenantName: p.tenant.name, body });
}

// ---------- errors ----------

export function renderProblemPage(status: number, mode: Mode = 'page'): string {
  const [title, text] =
    status === 404
      ? ['Page not found', 'There is no quote form at this address. Check the link you followed.']
      : status === 429
        ? ['Too many requests', 'You have sent too many requests in a short time. Wait a minute, then try again.']
        : status === 413
          ? ['Too much information', 'The form you sent is too large. Go back and shorten your answers.']
          : status < 500
            ? ['There is a problem with the form', 'Go back, check your answers and send the form again.']
            : ['Sorry, something went wrong', 'Your request was not sent. Try again in a few minutes.'];
  return page({ title, mode, body: html`<h1 class="title">${title}</h1><p>${text}</p>` });
}
