import { type IntakeInput, isService, recommend, type ServiceCode } from '../../modules/leads/index.ts';
import type { FieldError } from '../../platform/errors.ts';

/**
 * The intake form as a homeowner fills it in: the values exactly as typed (to show them again), the
 * errors by field, and the intake body they make. Field-format rules (email, phone) stay with intake;
 * this only checks what the form itself asks for (presence, choices, numbers, bounds).
 */

export interface Question {
  key: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'choice' | 'multi_choice';
  required?: boolean;
  options?: string[];
  label?: string;
}

export interface QuestionSet {
  version: string;
  questions: Question[];
}

/** The consent text a homeowner agrees to, and its version (submitted with the form and kept with the lead). */
export const CONSENT = {
  version: '2026-11-01',
  text:
    'I agree that {tenant} stores the details I give here and passes them to the vetted installers ' +
    'who cover my area, so that they can contact me about the quotes I asked for. ' +
    'I can ask for my data to be erased at any time.',
  marketing: 'Send me occasional news and offers by email (optional).',
};

export const PATHS = [
  { code: 'recommended', label: 'Put me in touch with the one installer you recommend' },
  { code: 'compare_quotes', label: 'I would like to compare quotes from several installers' },
  { code: 'undecided', label: 'I have not decided yet; just send me the estimate' },
] as const;

export interface FormValues {
  postcode: string;
  service: string;
  answers: Record<string, string | string[]>;
  selectedPath: string;
  name: string;
  email: string;
  phone: string;
  consentTerms: boolean;
  consentMarketing: boolean;
  consentVersion: string;
}

/** An error on one form field: `field` is the input's name, which is also how its id is made. */
export interface FormError {
  field: string;
  message: string;
}

export const emptyValues = (): FormValues => ({
  postcode: '',
  service: '',
  answers: {},
  selectedPath: '',
  name: '',
  email: '',
  phone: '',
  consentTerms: false,
  consentMarketing: false,
  consentVersion: CONSENT.version,
});

export type FormBody = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));
const many = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v === undefined || v === '' ? [] : [v]);
export const answerField = (key: string) => `a.${key}`;

/** Reads a form body (POST) or query (recommendation preview) into typed values; never throws. */
export function readValues(body: FormBody, set: QuestionSet | null): FormValues {
  const answers: Record<string, string | string[]> = {};
  for (const q of set?.questions ?? []) {
    const raw = body[answerField(q.key)];
    answers[q.key] = q.type === 'multi_choice' ? many(raw).map(String) : one(raw).trim();
  }
  return {
    postcode: one(body.postcode).trim(),
    service: one(body.service).trim(),
    answers,
    selectedPath: one(body.selectedPath).trim(),
    name: one(body.name).trim(),
    email: one(body.email).trim(),
    phone: one(body.phone).trim(),
    consentTerms: one(body.consentTerms) === 'yes',
    consentMarketing: one(body.consentMarketing) === 'yes',
    consentVersion: one(body.consentVersion).trim(),
  };
}

type Answer = string | number | boolean | string[] | null;

/** An answer in the type its question asks for, or the reason it is not one. */
function answerOf(q: Question, v: string | string[] | undefined): { value?: Answer; error?: string } {
  const label = q.label ?? q.key;
  if (q.type === 'multi_choice') {
    const list = Array.isArray(v) ? v : [];
    if (list.length === 0) return q.required ? { error: `Select at least one answer to "${label}"` } : {};
    if (!list.every((x) => q.options?.includes(x))) return { error: `Select answers from the list for "${label}"` };
    return { value: list };
  }
  const text = typeof v === 'string' ? v : '';
  if (text === '') return q.required ? { error: `Answer "${label}"` } : {};
  switch (q.type) {
    case 'string':
      return text.length > 2000 ? { error: `"${label}" must be 2,000 characters or fewer` } : { value: text };
    case 'number':
    case 'integer': {
      const n = Number(text.replace(/\s/g, '').replace(',', '.'));
      if (!/^-?[\d\s.,]+$/.test(text) || !Number.isFinite(n)) return { error: `"${label}" must be a number, like 150` };
      if (q.type === 'integer' && !Number.isInteger(n)) return { error: `"${label}" must be a whole number` };
      return { value: n };
    }
    case 'boolean':
      return text === 'yes' || text === 'no' ? { value: text === 'yes' } : { error: `Choose yes or no for "${label}"` };
    case 'choice':
      return q.options?.includes(text) ? { value: text } : { error: `Choose an answer to "${label}"` };
  }
}

/** The answers in their question's types (the recommendation preview reads them even when some are invalid). */
export function typedAnswers(values: FormValues, set: QuestionSet | null): Record<string, Answer> {
  const out: Record<string, Answer> = {};
  for (const q of set?.questions ?? []) {
    const a = answerOf(q, values.answers[q.key]);
    if (a.value !== undefined) out[q.key] = a.value;
  }
  return out;
}

export interface Submission {
  errors: FormError[];
  input?: IntakeInput;
  service?: ServiceCode;
}

const tooLong = (field: string, label: string, value: string, max: number): FormError[] =>
  value.length > max ? [{ field, message: `${label} must be ${max} characters or fewer` }] : [];

/** The form's own checks, then the intake body (intake itself checks email and phone formats). */
export function toSubmission(
  values: FormValues,
  set: QuestionSet | null,
  ctx: { country: string; sourceDetail: string },
): Submission {
  const errors: FormError[] = [];
  if (!values.postcode) errors.push({ field: 'postcode', message: 'Enter your Eircode or postcode' });
  errors.push(...tooLong('postcode', 'Your Eircode or postcode', values.postcode, 20));
  if (!isService(values.service)) errors.push({ field: 'service', message: 'Choose what you would like a quote for' });
  const answers: Record<string, Answer> = {};
  for (const q of set?.questions ?? []) {
    const a = answerOf(q, values.answers[q.key]);
    if (a.error) errors.push({ field: answerField(q.key), message: a.error });
    else if (a.value !== undefined) answers[q.key] = a.value;
  }
  if (!PATHS.some((p) => p.code === values.selectedPath)) {
    errors.push({ field: 'selectedPath', message: 'Choose how you would like to go ahead' });
  }
  if (!values.name) errors.push({ field: 'name', message: 'Enter your name' });
  errors.push(...tooLong('name', 'Your name', values.name, 200));
  if (!values.email && !values.phone) {
    errors.push({ field: 'email', message: 'Enter an email address or a phone number, so an installer can reply' });
  }
  errors.push(...tooLong('email', 'Your email address', values.email, 254));
  errors.push(...tooLong('phone', 'Your phone number', values.phone, 40));
  if (!values.consentTerms) {
    errors.push({ field: 'consentTerms', message: 'Tick the box to agree to how we use your details' });
  } else if (values.consentVersion !== CONSENT.version) {
    errors.push({
      field: 'consentTerms',
      message: 'The consent text has changed since you opened this page: read it again and tick the box',
    });
  }
  if (errors.length || !isService(values.service)) return { errors };

  const service = values.service;
  return {
    errors,
    service,
    input: {
      contact: {
        name: values.name,
        postcode: values.postcode,
        ...(values.email ? { email: values.email } : {}),
        ...(values.phone ? { phone: values.phone } : {}),
      },
      source: 'website',
      sourceDetail: ctx.sourceDetail,
      service,
      selectedPath: values.selectedPath as IntakeInput['selectedPath'],
      consent: {
        terms: true,
        marketing: values.consentMarketing,
        recordedAt: new Date().toISOString(),
        textVersion: values.consentVersion,
      },
      ...(set ? { assessment: { questionSetVersion: set.version, answers } } : {}),
      recommendation: recommend(service, answers, ctx.country),
    },
  };
}

const INTAKE_MESSAGES: Record<string, FormError> = {
  'contact.email': { field: 'email', message: 'Enter an email address in the right format, like name@example.com' },
  'contact.phone': { field: 'phone', message: 'Enter a phone number in the right format, like 087 123 4567' },
  contact: { field: 'email', message: 'Enter an email address or a phone number, so an installer can reply' },
  'consent.terms': { field: 'consentTerms', message: 'Tick the box to agree to how we use your details' },
};

/** Intake's validation errors (paths of the intake body) as errors on the form's fields. */
export function intakeErrorsToForm(errors: FieldError[], set: QuestionSet | null): FormError[] {
  return errors.map((e) => {
    const known = INTAKE_MESSAGES[e.path];
    if (known) return known;
    const answer = /^assessment\.answers\.(.+)$/.exec(e.path)?.[1];
    if (answer && set?.questions.some((q) => q.key === answer)) {
      const q = set.questions.find((x) => x.key === answer)!;
      return { field: answerField(answer), message: `"${q.label ?? q.key}": ${e.message}` };
    }
    if (e.path.startsWith('assessment')) {
      return { field: 'form', message: 'The questions changed while you filled them in: check your answers again' };
    }
    return { field: 'form', message: `${e.path}: ${e.message}` };
  });
}
