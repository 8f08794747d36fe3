/**
 * The public intake form in a real browser (Debian's Chromium via playwright-core): the multi-step flow
 * with JavaScript on a phone, the same form without JavaScript, errors, accessibility (axe-core: no
 * serious or critical violation on any step) and the embed script on a host page of another origin.
 * Screenshots go to docs/screens/apply-*.png.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../../src/modules/identity/index.ts';
import { systemActor } from '../../src/platform/context.ts';
import { seedMarketplace } from '../../src/workflows/demo-marketplace.ts';
import { provisionTenant } from '../../src/workflows/tenant-provisioning.ts';
import { call, createTestApp, type TestApp } from '../helpers.ts';
import { chromiumAvailable, launchBrowser, screenshot, seriousViolations } from './browser.ts';

const PHONE = { width: 375, height: 812 };
const SLUG = 'demo';
/** The demo tenant's question set (src/workflows/demo.ts). */
const QUESTION_SET = {
  version: '2026-10',
  activate: true,
  questions: [
    { key: 'roofType', type: 'choice', options: ['pitched', 'flat', 'mixed'], label: 'What kind of roof do you have?' },
    { key: 'monthlyBill', type: 'number', label: 'Average monthly electricity bill (EUR)' },
    { key: 'ownsHome', type: 'boolean', label: 'Do you own the home?' },
    { key: 'hasEv', type: 'boolean', label: 'Do you drive an electric car?' },
  ],
};

describe.skipIf(!chromiumAvailable || Boolean(process.env.TEST_DATABASE_URL))('intake form in a browser', () => {
  let t: TestApp;
  let base: string;
  let apiKey: string;
  let browser: Browser;
  let host: Server;
  let hostUrl: string;

  beforeAll(async () => {
    const started = Date.now();
    t = await createTestApp({ publicRateLimit: 0 });
    const appReady = Date.now() - started;
    // The demo tenant's setup (`helio demo`) without its 50 sample leads: question set, regions, installers.
    const tenant = await provisionTenant(t.db, {
      slug: SLUG,
      name: 'Sunrise Energy (demo)',
      adminEmail: 'owner@demo.example',
      adminPassword: 'correct horse battery staple',
    });
    apiKey = tenant.apiKey;
    const qs = await call(t.app, 'POST', '/api/admin/question-sets', { token: apiKey, body: QUESTION_SET });
    expect(qs.status).toBe(201);
    await t.db.tenantTx(tenant.tenantId, (tx) =>
      seedMarketplace({ tenantId: tenant.tenantId, tx, actor: systemActor(CAPABILITIES), requestId: 'e2e' }),
    );
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    // The host site of the embed test: another origin (another port) that only includes embed.js.
    host = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><title>Partner site</title></head><body>
<h1>Sunrise Energy partner site</h1><p>Ask for quotes below.</p>
<div id="helio-apply"></div>
<script src="${base}/apply/${SLUG}/embed.js" data-target="helio-apply" async></script>
<p id="after">Footer of the host page</p></body></html>`);
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/`;
    const seeded = Date.now() - started;
    browser = await launchBrowser();
    console.log(
      `apply e2e setup: app ${appReady} ms, tenant ${seeded - appReady} ms, browser ${Date.now() - started - seeded} ms`,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => host?.close(resolve));
    await t?.close();
  });

  const leadByEmail = async (email: string) => {
    const list = await call(t.app, 'GET', `/api/leads?q=${encodeURIComponent(email)}`, { token: apiKey });
    expect(list.status).toBe(200);
    return Promise.all(
      list.body.data.map(async (l: any) => (await call(t.app, 'GET', `/api/leads/${l.id}`, { token: apiKey })).body),
    );
  };

  async function noSeriousViolations(page: Page | Frame, where: string) {
    const violations = await seriousViolations(page);
    expect(violations, `${where}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
  }

  /** axe needs JavaScript: the page a no-JS browser got is checked again in one that runs scripts. */
  async function markupHasNoSeriousViolations(markup: string, where: string) {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.goto(`${base}/apply/${SLUG}`);
    await page.setContent(markup);
    await noSeriousViolations(page, where);
    await context.close();
  }

  const focusedId = (page: Page | Frame) => page.evaluate(() => (globalThis as any).document.activeElement?.id ?? '');

  async function fillAssessment(page: Page | Frame) {
    await page.getByLabel('Pitched').check();
    await page.getByLabel('Average monthly electricity bill (EUR)').fill('180');
    await page.locator('#f-a-ownsHome-0').check();
    await page.locator('#f-a-hasEv-1').check();
  }

  it('with JavaScript on a phone: step by step, area check while typing, estimate, consent, one lead', async () => {
    const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const failed: string[] = [];
    page.on('console', (m) => m.type() === 'error' && failed.push(m.text()));
    page.on('pageerror', (e) => failed.push(String(e)));
    page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
    await page.goto(`${base}/apply/${SLUG}`);

    // Only the first step shows; the others wait.
    expect(await page.locator('fieldset.step:visible').count()).toBe(1);
    await page.getByText('Step 1 of 4').waitFor();
    await noSeriousViolations(page, 'step 1');
    await screenshot(page, 'apply-step-1-phone');

    // Continue with nothing filled in: the error summary appears and takes focus.
    await page.getByRole('button', { name: 'Continue' }).first().click();
    await page.locator('#error-summary').waitFor();
    expect(await focusedId(page)).toBe('error-summary');
    expect(await page.locator('#error-summary a').allTextContents()).toEqual([
      'Enter your Eircode or postcode',
      'Choose what you would like a quote for',
    ]);
    expect(await page.locator('#f-postcode').getAttribute('aria-describedby')).toContain('f-postcode-error');
    await noSeriousViolations(page, 'step 1 with errors');
    await screenshot(page, 'apply-errors-phone');

    // The area check runs while the postcode is typed: an area without installers, then one with.
    const postcode = page.locator('#f-postcode');
    await postcode.pressSequentially('F92 X2Y3', { delay: 30 });
    await page.locator('#serviceability', { hasText: 'We do not have an installer for this area yet' }).waitFor();
    await postcode.fill('');
    await postcode.pressSequentially('D02 X285', { delay: 30 });
    await page
      .locator('#serviceability', { hasText: 'Good news: installers cover your area (Dublin South).' })
      .waitFor();
    await page.getByLabel('Solar panels').check();
    // Enter in a field continues to the next step (it does not send the form half filled in).
    await postcode.press('Enter');

    // Step 2: the tenant's question set.
    await page.getByText('Step 2 of 4').waitFor();
    expect(await page.locator('#error-summary').count()).toBe(0);
    expect(await page.title()).toBe('Step 2 of 4 - Get quotes - Sunrise Energy (demo)');
    await fillAssessment(page);
    await noSeriousViolations(page, 'step 2');
    await screenshot(page, 'apply-step-2-phone');
    await page.locator('#step-assessment').getByRole('button', { name: 'Continue' }).click();

    // Step 3: the estimate before sending, and the path.
    await page.getByText('Step 3 of 4').waitFor();
    await page.locator('#recommendation .estimate', { hasText: 'kW solar panel system' }).waitFor();
    await page.getByLabel('I would like to compare quotes from several installers').check();
    await noSeriousViolations(page, 'step 3');
    await screenshot(page, 'apply-step-3-phone');
    await page.locator('#step-path').getByRole('button', { name: 'Continue' }).click();

    // Step 4: contact and consent; Back keeps what was entered.
    await page.getByText('Step 4 of 4').waitFor();
    await page.getByLabel('Full name').fill('Gráinne Ní Bhriain');
    await page.getByRole('button', { name: 'Back' }).last().click();
    await page.getByText('Step 3 of 4').waitFor();
    expect(await page.getByLabel('I would like to compare quotes from several installers').isChecked()).toBe(true);
    await page.locator('#step-path').getByRole('button', { name: 'Continue' }).click();
    expect(await page.getByLabel('Full name').inputValue()).toBe('Gráinne Ní Bhriain');
    const email = 'grainne.js@example.ie';
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send my request' }).click();
    await page.locator('#error-summary', { hasText: 'Tick the box' }).waitFor();
    expect(await focusedId(page)).toBe('error-summary');
    await page.getByLabel('I agree to this').check();
    await noSeriousViolations(page, 'step 4');
    await screenshot(page, 'apply-step-4-phone');

    // A double tap sends one request.
    await Promise.all([page.waitForURL(`${base}/apply/${SLUG}`), page.locator('#submit').dblclick()]);
    await page.locator('#reference').waitFor();
    const reference = await page.locator('#reference').textContent();
    expect(await page.locator('#area').textContent()).toContain('Dublin South');
    await page.getByText('Your first estimate').waitFor();
    await noSeriousViolations(page, 'confirmation');
    await screenshot(page, 'apply-confirmation-phone');
    expect(failed).toEqual([]);

    const [lead, ...more] = await leadByEmail(email);
    expect(more).toEqual([]);
    expect(lead).toMatchObject({
      reference,
      status: 'new',
      source: 'website',
      sourceDetail: 'apply-page',
      service: 'solar_pv',
      selectedPath: 'compare_quotes',
      consent: { terms: true, marketing: false, textVersion: '2026-11-01' },
      assessment: {
        questionSetVersion: '2026-10',
        answers: { roofType: 'pitched', monthlyBill: 180, ownsHome: true, hasEv: false },
      },
      recommendation: { engineVersion: 'apply-form/1', products: [{ kind: 'solar_pv' }] },
      submissionCount: 1,
    });
    expect(lead.contact).toMatchObject({ name: 'Gráinne Ní Bhriain', email, postcode: 'D02 X285' });
    expect(lead.consent.recordedAt).toBeTruthy();
    await context.close();
  });

  it('without JavaScript: one page, errors next to their fields with values kept, then the same submit', async () => {
    const context: BrowserContext = await browser.newContext({ javaScriptEnabled: false, viewport: PHONE });
    const page = await context.newPage();
    await page.goto(`${base}/apply/${SLUG}`);
    // Every step is on the page at once.
    expect(await page.locator('fieldset.step:visible').count()).toBe(4);
    await screenshot(page, 'apply-nojs-phone');

    await page.getByLabel('Eircode or postcode').fill('D04 K7W2');
    await page.getByLabel('Heat pump').check();
    await page.getByLabel('Full name').fill('<script>alert(1)</script>');
    await page.getByLabel('Email address').fill('not an email');
    await Promise.all([
      page.waitForURL(`${base}/apply/${SLUG}`),
      page.getByRole('button', { name: 'Send my request' }).click(),
    ]);
    // Errors: a summary with links (focused by autofocus), each message beside its field, values kept.
    await page.locator('#error-summary').waitFor();
    expect(await focusedId(page)).toBe('error-summary');
    const links = await page.locator('#error-summary a').allTextContents();
    expect(links).toEqual([
      'Choose how you would like to go ahead',
      'Tick the box to agree to how we use your details',
    ]);
    expect(await page.getByLabel('Eircode or postcode').inputValue()).toBe('D04 K7W2');
    expect(await page.getByLabel('Heat pump').isChecked()).toBe(true);
    expect(await page.getByLabel('Full name').inputValue()).toBe('<script>alert(1)</script>');
    expect(await page.title()).toMatch(/^Error: /);
    await markupHasNoSeriousViolations(await page.content(), 'errors without JavaScript');
    await screenshot(page, 'apply-errors-nojs-phone');

    await fillAssessment(page);
    await page.getByLabel('I have not decided yet; just send me the estimate').check();
    await page.getByLabel('Full name').fill('Seán Nolan');
    await page.getByLabel('I agree to this').check();
    await Promise.all([
      page.waitForURL(`${base}/apply/${SLUG}`),
      page.getByRole('button', { name: 'Send my request' }).click(),
    ]);
    // Intake's own email check answers beside the email field; everything else is kept.
    await page.locator('#error-summary', { hasText: 'Enter an email address in the right format' }).waitFor();
    expect(await page.getByLabel('I agree to this').isChecked()).toBe(true);
    const email = 'sean.nojs@example.ie';
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Phone number').fill('087 123 4567');
    await Promise.all([
      page.waitForURL(`${base}/apply/${SLUG}`),
      page.getByRole('button', { name: 'Send my request' }).click(),
    ]);
    await page.locator('#reference').waitFor();
    expect(await page.locator('.estimate-title').textContent()).toContain('heat pump');
    await markupHasNoSeriousViolations(await page.content(), 'confirmation without JavaScript');
    await screenshot(page, 'apply-confirmation-nojs-phone');

    const [lead, ...more] = await leadByEmail(email);
    expect(more).toEqual([]);
    expect(lead).toMatchObject({
      reference: await page.locator('#reference').textContent(),
      service: 'heat_pump',
      selectedPath: 'undecided',
      sourceDetail: 'apply-page',
      consent: { terms: true, marketing: false, textVersion: '2026-11-01' },
    });
    expect(lead.contact).toMatchObject({ name: 'Seán Nolan', phone: '+353871234567' });
    await context.close();
  });

  it('the embed script puts the form in an iframe on another site and keeps it as tall as the form', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    const page = await context.newPage();
    await page.goto(hostUrl);
    const iframe = page.locator('#helio-apply iframe');
    await iframe.waitFor();
    expect(await iframe.getAttribute('title')).toBe('Get quotes for your home');
    const frame = (await iframe.elementHandle())!.contentFrame();
    const inner = (await frame)!;
    await inner.locator('form.apply-form').waitFor();
    // The iframe takes the height the form reports (no inner scroll bar).
    const fits = async () => {
      const outer = (await iframe.boundingBox())!.height;
      const content = await inner.evaluate(
        () => (globalThis as any).document.documentElement.getBoundingClientRect().height as number,
      );
      return Math.abs(outer - content) <= 2;
    };
    await page.waitForFunction(
      () => (globalThis as any).document.querySelector('#helio-apply iframe').style.height !== '',
    );
    expect(await fits()).toBe(true);
    await noSeriousViolations(inner, 'embedded form');
    await screenshot(page, 'apply-embed');

    // The same flow inside the frame: the height follows each step, the submit lands in the frame.
    await inner.getByLabel('Eircode or postcode').fill('T12 R2FX');
    await inner.getByLabel('Home battery').check();
    await inner.getByRole('button', { name: 'Continue' }).first().click();
    await fillAssessment(inner);
    await inner.locator('#step-assessment').getByRole('button', { name: 'Continue' }).click();
    await inner.locator('#recommendation .estimate').waitFor();
    await inner.getByLabel('Put me in touch with the one installer you recommend').check();
    await inner.locator('#step-path').getByRole('button', { name: 'Continue' }).click();
    const email = 'embed.user@example.ie';
    await inner.getByLabel('Full name').fill('Eoin Walsh');
    await inner.getByLabel('Email address').fill(email);
    await inner.getByLabel('I agree to this').check();
    await inner.getByRole('button', { name: 'Send my request' }).click();
    await inner.locator('#reference').waitFor();
    for (let i = 0; i < 20 && !(await fits()); i++) await page.waitForTimeout(100);
    expect(await fits()).toBe(true);
    expect(page.url()).toBe(hostUrl);
    const [lead] = await leadByEmail(email);
    expect(lead).toMatchObject({ sourceDetail: 'apply-embed', selectedPath: 'recommended' });
    await context.close();
  });
});
