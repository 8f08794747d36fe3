// The intake form's progressive enhancement: without this file the form is one page that posts as
// it is. With it: one step at a time, checks before moving on, the live serviceability check and the
// estimate before sending, and (inside an iframe) the page height reported to embed.js.
(() => {
  const framed = window.parent !== window;

  function reportHeight() {
    if (!framed) return;
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    // The height is all this says, so any host may hear it; embed.js checks the message comes from its iframe.
    window.parent.postMessage({ type: 'helio-apply:height', height }, '*');
  }
  if (framed) {
    reportHeight();
    if ('ResizeObserver' in window) new ResizeObserver(reportHeight).observe(document.documentElement);
    window.addEventListener('load', reportHeight);
  }

  const form = document.querySelector('form.apply-form');
  if (!form) return;

  // ---------- field errors (the same markup the server renders) ----------

  function containerOf(el) {
    return el.closest('fieldset.group') || el.closest('.field');
  }

  function clearErrors() {
    for (const el of form.querySelectorAll('[data-client-error]')) el.remove();
    for (const el of form.querySelectorAll('.field-error')) el.classList.remove('field-error');
    for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
    for (const el of form.querySelectorAll('[aria-describedby]')) {
      const by = el
        .getAttribute('aria-describedby')
        .split(' ')
        .filter((id) => id && !id.endsWith('-error'));
      if (by.length) el.setAttribute('aria-describedby', by.join(' '));
      else el.removeAttribute('aria-describedby');
    }
    for (const el of document.querySelectorAll('.error-message')) el.remove();
    const old = document.getElementById('error-summary');
    if (old) old.remove();
  }

  function showError(target, focusTarget, message) {
    const box = containerOf(target);
    const id = `${box.id || target.id}-error`;
    const p = document.createElement('p');
    p.className = 'error-message';
    p.id = id;
    p.setAttribute('data-client-error', '');
    const hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = 'Error:';
    p.append(hidden, ` ${message}`);
    box.classList.add('field-error');
    const described = box.matches('fieldset') ? box : target;
    const by = (described.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    described.setAttribute('aria-describedby', [...by, id].join(' '));
    if (!box.matches('fieldset')) target.setAttribute('aria-invalid', 'true');
    const before = box.matches('fieldset') ? box.querySelector('.options, .option') : target;
    before.before(p);
    return { id: focusTarget.id, message };
  }

  function showSummary(errors) {
    const summary = document.createElement('div');
    summary.className = 'error-summary';
    summary.id = 'error-summary';
    summary.tabIndex = -1;
    summary.setAttribute('role', 'alert');
    summary.setAttribute('aria-labelledby', 'error-summary-title');
    const h = document.createElement('h2');
    h.className = 'error-summary-title';
    h.id = 'error-summary-title';
    h.textContent = 'There is a problem';
    const ul = document.createElement('ul');
    ul.className = 'error-list';
    for (const e of errors) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = `#${e.id}`;
      a.textContent = e.message;
      li.append(a);
      ul.append(li);
    }
    summary.append(h, ul);
    form.before(summary);
    summary.focus();
  }

  /** The checks the server makes too (it has the last word): required answers, email or phone. */
  function check(scope) {
    const errors = [];
    for (const input of scope.querySelectorAll('input[required][data-required-message]')) {
      if (input.type === 'checkbox' ? !input.checked : !input.value.trim()) {
        errors.push(showError(input, input, input.dataset.requiredMessage));
      }
    }
    for (const group of scope.querySelectorAll('fieldset.group[data-required-message]')) {
      const inputs = group.querySelectorAll('input');
      if (inputs.length && ![...inputs].some((i) => i.checked)) {
        errors.push(showError(inputs[0], inputs[0], group.dataset.requiredMessage));
      }
    }
    const email = scope.querySelector('#f-email');
    const phone = scope.querySelector('#f-phone');
    if (email && phone) {
      if (!email.value.trim() && !phone.value.trim()) {
        errors.push(showError(email, email, 'Enter an email address or a phone number, so an installer can reply'));
      } else if (email.value.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.value.trim())) {
        errors.push(showError(email, email, 'Enter an email address in the right format, like name@example.com'));
      }
    }
    return errors;
  }

  // ---------- serviceability while the postcode is typed ----------

  const postcode = form.querySelector('#f-postcode');
  const status = form.querySelector('#serviceability');
  let timer = 0;
  let inflight = null;

  function selectedService() {
    const s = form.querySelector('input[name="service"]:checked');
    return s ? s.value : '';
  }

  async function checkArea() {
    const value = postcode.value.trim();
    if (inflight) inflight.abort();
    if (value.length < 3) {
      status.textContent = '';
      status.className = 'status';
      return;
    }
    inflight = new AbortController();
    const q = new URLSearchParams({ postcode: value });
    const service = selectedService();
    if (service) q.set('service', service);
    status.textContent = 'Checking your area…';
    status.className = 'status';
    try {
      const res = await fetch(`${form.dataset.serviceability}?${q}`, {
        signal: inflight.signal,
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(String(res.status));
      const r = await res.json();
      if (r.serviceable) {
        status.textContent = `Good news: installers cover your area${r.region ? ` (${r.region.name})` : ''}.`;
        status.className = 'status status-ok';
      } else {
        status.textContent =
          'We do not have an installer for this area yet. You can still send your request; we will contact you when we do.';
        status.className = 'status status-no';
      }
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      status.textContent = 'We could not check your area just now. You can still send your request.';
      status.className = 'status';
    }
  }

  if (postcode && status && form.dataset.serviceability) {
    postcode.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(checkArea, 400);
    });
    for (const r of form.querySelectorAll('input[name="service"]')) {
      r.addEventListener('change', () => postcode.value.trim() && checkArea());
    }
    if (postcode.value.trim()) checkArea();
  }

  // ---------- the estimate before sending ----------

  const PRIVATE = new Set(['name', 'email', 'phone', 'consentTerms', 'consentMarketing', 'consentVersion']);
  async function showEstimate() {
    const box = form.querySelector('#recommendation');
    if (!box || !form.dataset.recommendation) return;
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (!PRIVATE.has(k) && typeof v === 'string') q.append(k, v);
    try {
      const res = await fetch(`${form.dataset.recommendation}?${q}`, { headers: { accept: 'text/html' } });
      if (!res.ok) throw new Error(String(res.status));
      const fragment = new DOMParser().parseFromString(await res.text(), 'text/html').body;
      if (!fragment.children.length) return;
      box.replaceChildren(...fragment.children);
    } catch {
      // The confirmation page shows the estimate anyway.
    }
  }

  // ---------- one step at a time ----------

  const steps = [...form.querySelectorAll('fieldset.step')];
  const button = form.querySelector('button[type="submit"]');
  const label = button ? button.textContent : '';
  let stepped = false;
  let current = 0;
  let submitted = false;
  form.addEventListener('submit', (event) => {
    // Enter in a field of an earlier step means Continue, not send.
    if (stepped && current < steps.length - 1) {
      event.preventDefault();
      next(current);
      return;
    }
    clearErrors();
    const errors = check(form);
    if (errors.length || submitted) {
      event.preventDefault();
      if (errors.length) showSummary(errors);
      return;
    }
    // One click, one request: a second click while the first is on its way does nothing.
    submitted = true;
    if (button) {
      button.setAttribute('aria-disabled', 'true');
      button.textContent = 'Sending…';
    }
  });
  // Back to this page from the confirmation (back/forward cache): the form may be sent again.
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted || !button) return;
    submitted = false;
    button.removeAttribute('aria-disabled');
    button.textContent = label;
  });

  // A page the server sent back with errors stays one page: every error and its field are in view.
  if (form.dataset.hasErrors || steps.length < 2) return;

  stepped = true;
  form.classList.add('stepped');
  const title = document.title;
  steps.forEach((step, i) => {
    const number = step.querySelector('.step-number');
    if (number) number.textContent = `Step ${i + 1} of ${steps.length}: `;
    const legend = step.querySelector('legend');
    if (legend) legend.tabIndex = -1;
    const nav = document.createElement('div');
    nav.className = 'actions step-nav';
    if (i > 0) {
      const back = document.createElement('button');
      back.type = 'button';
      back.className = 'button button-secondary';
      back.textContent = 'Back';
      back.addEventListener('click', () => go(i - 1));
      nav.append(back);
    }
    if (i < steps.length - 1) {
      const forward = document.createElement('button');
      forward.type = 'button';
      forward.className = 'button button-primary';
      forward.textContent = 'Continue';
      forward.addEventListener('click', () => next(i));
      nav.append(forward);
      step.append(nav);
    } else {
      const actions = step.querySelector('.actions');
      if (actions) actions.prepend(...nav.children);
    }
    step.hidden = i !== 0;
  });
  document.title = `Step 1 of ${steps.length} - ${title}`;

  function next(i) {
    clearErrors();
    const errors = check(steps[i]);
    if (errors.length) return showSummary(errors);
    go(i + 1);
  }

  function go(index) {
    clearErrors();
    steps[current].hidden = true;
    current = index;
    const step = steps[current];
    step.hidden = false;
    document.title = `Step ${current + 1} of ${steps.length} - ${title}`;
    if (step.querySelector('#recommendation')) showEstimate();
    const legend = step.querySelector('legend');
    if (legend) legend.focus();
    window.scrollTo(0, 0);
  }
})();
