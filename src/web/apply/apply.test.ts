import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { CONSENT } from './form.ts';
import { escapeHtml, html, trusted } from './html.ts';

/** The intake form's pages without a browser: routing, escaping, errors, intake, limits and headers. */

const QUESTIONS = {
  version: 'form-1',
  questions: [
    { key: 'roofType', type: 'choice', options: ['pitched', 'flat'], required: true, label: 'What kind of roof?' },
    { key: 'monthlyBill', type: 'number', label: 'Monthly electricity bill' },
    { key: 'ownsHome', type: 'boolean', label: 'Do you own the home?' },
  ],
};

const form = (fields: Record<string, string | string[]>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) q.append(k, x);
  return q.toString();
};

const valid = (overrides: Record<string, string | string[]> = {}) => ({
  postcode: 'D02 X285',
  service: 'solar_pv',
  'a.roofType': 'pitched',
  'a.monthlyBill': '180',
  'a.ownsHome': 'yes',
  selectedPath: 'compare_quotes',
  name: 'Ada Byrne',
  email: 'ada.form@example.com',
  phone: '',
  consentTerms: 'yes',
  consentVersion: CONSENT.version,
  ...overrides,
});

const post = (t: TestApp, url: string, fields: Record<string, string | string[]>) =>
  t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form(fields),
  });

describe('html escaping', () => {
  it('escapes every character that could open markup or leave an attribute', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;',
    );
    const name = '"><img src=x onerror=alert(1)>';
    expect(html`<input value="${name}"><p>${name}</p>`.value).toBe(
      '<input value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"><p>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</p>',
    );
    // Nested templates and trusted markup pass through; lists join; null, undefined and false vanish.
    expect(html`<ul>${['<a>', html`<li>${'<b>'}</li>`]}</ul>${null}${undefined}${false}${trusted('<hr>')}`.value).toBe(
      '<ul>&lt;a&gt;<li>&lt;b&gt;</li></ul><hr>',
    );
    expect(html`${0}${'&amp;'}`.value).toBe('0&amp;amp;');
  });
});

describe('/apply pages', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await createTestApp();
    a = await createTenant(t);
    const qs = await call(t.app, 'POST', '/api/admin/question-sets', { token: a.apiKey, body: QUESTIONS });
    expect(qs.status).toBe(201);
  });
  afterAll(async () => t?.close());

  it('an unknown tenant is a 404 page in HTML', async () => {
    for (const url of ['/apply/no-such-tenant', '/apply/no-such-tenant/embed', '/apply/no-such-tenant/embed.js']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('<html lang="en">');
      expect(res.body).toContain('Page not found');
    }
    const post404 = await post(t, '/apply/no-such-tenant', valid());
    expect(post404.statusCode).toBe(404);
    expect(post404.body).toContain('Page not found');
    const elsewhere = await t.app.inject({ method: 'GET', url: `/apply/${a.slug}/nothing/here` });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.body).toContain('Page not found');
  });

  it('renders the form from the active question set, with no inline script, under helmet headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/apply/${a.slug}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.body).toContain('What kind of roof?');
    expect(res.body).toContain(`name="consentVersion" value="${CONSENT.version}"`);
    expect(res.body).toContain(`action="/apply/${a.slug}"`);
    expect(res.body.match(/<script[^>]*>/g)).toEqual(['<script src="/apply/_assets/apply.js" defer>']);
    for (const asset of ['apply.js', 'apply.css']) {
      const r = await t.app.inject({ method: 'GET', url: `/apply/_assets/${asset}` });
      expect(r.statusCode, asset).toBe(200);
    }
  });

  it('the embedded form may be framed by any site; embed.js may be loaded by any site', async () => {
    const page = await t.app.inject({ method: 'GET', url: `/apply/${a.slug}/embed` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['x-frame-options']).toBeUndefined();
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors \*/);
    expect(page.body).toContain(`action="/apply/${a.slug}/embed"`);
    const js = await t.app.inject({ method: 'GET', url: `/apply/${a.slug}/embed.js` });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });

  it('hostile input comes back escaped, with the missing consent named next to its field', async () => {
    const hostile = '<script>alert(1)</script>';
    const res = await post(
      t,
      `/apply/${a.slug}`,
      valid({ name: hostile, postcode: '"><b>x', consentTerms: [], 'a.monthlyBill': '1e3<i>' }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).not.toContain(hostile);
    expect(res.body).not.toContain('"><b>x');
    expect(res.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(res.body).toContain('value="&quot;&gt;&lt;b&gt;x"');
    // The error summary links to each field; each field names its error.
    expect(res.body).toContain('<a href="#f-consentTerms">Tick the box to agree to how we use your details</a>');
    expect(res.body).toContain('id="f-consentTerms-error"');
    expect(res.body).toContain('<a href="#f-a-monthlyBill">');
    expect(res.body).toMatch(
      /id="f-a-monthlyBill"[^>]*aria-describedby="f-a-monthlyBill-error"[^>]*aria-invalid="true"/,
    );
    // Values are kept.
    expect(res.body).toMatch(/id="f-a-roofType-0"[^>]*value="pitched" checked/);
    expect(res.body).toMatch(/id="f-selectedPath-1"[^>]*value="compare_quotes" checked/);
    expect(res.body).toContain('value="ada.form@example.com"');
    expect((await call(t.app, 'GET', '/api/leads?q=ada.form', { token: a.apiKey })).body.data).toEqual([]);
  });

  it('a consent given to an older consent text is asked for again', async () => {
    const res = await post(
      t,
      `/apply/${a.slug}`,
      valid({ email: 'old.consent@example.com', consentVersion: '2020-01-01' }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('The consent text has changed since you opened this page');
    expect((await call(t.app, 'GET', '/api/leads?q=old.consent', { token: a.apiKey })).body.data).toEqual([]);
  });

  it("intake's own checks (email format) come back next to the field", async () => {
    const res = await post(t, `/apply/${a.slug}`, valid({ email: 'not-an-email' }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<a href="#f-email">Enter an email address in the right format');
    expect(res.body).toContain('value="not-an-email"');
  });

  it('a valid form becomes one lead through intake; sending it again attaches to the same lead', async () => {
    const email = 'once.only@example.com';
    const first = await post(t, `/apply/${a.slug}`, valid({ email, consentMarketing: 'yes' }));
    expect(first.statusCode, first.body).toBe(200);
    const reference = /id="reference">([^<]+)</.exec(first.body)?.[1];
    expect(reference).toMatch(/^[A-Z0-9]{6,}$/);
    expect(first.body).toContain('Your first estimate');
    const again = await post(t, `/apply/${a.slug}`, valid({ email, consentMarketing: 'yes' }));
    expect(/id="reference">([^<]+)</.exec(again.body)?.[1]).toBe(reference);

    const list = await call(t.app, 'GET', '/api/leads?q=once.only', { token: a.apiKey });
    expect(list.body.data).toHaveLength(1);
    const lead = (await call(t.app, 'GET', `/api/leads/${list.body.data[0].id}`, { token: a.apiKey })).body;
    expect(lead).toMatchObject({
      reference,
      source: 'website',
      sourceDetail: 'apply-page',
      service: 'solar_pv',
      selectedPath: 'compare_quotes',
      consent: { terms: true, marketing: true, textVersion: CONSENT.version },
      assessment: { questionSetVersion: 'form-1', answers: { roofType: 'pitched', monthlyBill: 180, ownsHome: true } },
      recommendation: { engineVersion: 'apply-form/1' },
      submissionCount: 2,
    });
    expect(lead.contact).toMatchObject({ name: 'Ada Byrne', email, postcode: 'D02 X285' });
  });

  it('is hidden from the OpenAPI document', async () => {
    const doc = (await call(t.app, 'GET', '/api/openapi.json')).body;
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/apply'))).toEqual([]);
  });

  it('the estimate preview answers with the same fragment the confirmation shows', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/apply/${a.slug}/recommendation?service=battery_storage&a.monthlyBill=200`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('kWh home battery');
  });
});

describe('/apply rate limit', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await createTestApp({ publicRateLimit: 3 });
    a = await createTenant(t);
  });
  afterAll(async () => t?.close());

  it('POST /apply is limited like /api/public: over the limit is a 429 page with Retry-After', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await post(t, `/apply/${a.slug}`, valid({ email: `limit.${i}@example.com`, 'a.roofType': [] }));
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.headers['retry-after']).toBeDefined();
    expect(last!.headers['content-type']).toMatch(/^text\/html/);
    expect(last!.body).toContain('Too many requests');
    // Unknown tenants are counted too: probing slugs is limited.
    const probe = await post(t, '/apply/no-such-tenant', valid());
    expect(probe.statusCode).toBe(429);
  });
});
