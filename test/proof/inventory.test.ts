/**
 * Route inventory: the OpenAPI document and Fastify's route table describe the same API, the document is
 * valid OpenAPI 3.1, and it passes Spectral (spectral:oas + OWASP API Security, see .spectral.yaml) with
 * no error. Warnings are printed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers.ts';
import { HTTP_METHODS, newAjv, openapiDocument, proofApp, registeredRoutes, tally } from './support.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

/**
 * Findings of owasp:api5:2023-admin-security-unique judged deliberate, each with its reason. The rule flags
 * an /admin path whose security requirement (here: the capability) equals that of a non-admin path.
 */
const ACCEPTED_ERRORS: Record<string, string> = {
  'owasp:api5:2023-admin-security-unique paths./api/admin/settings.get.security.0':
    'any staff user reads the tenant settings (the console needs them), like GET /api/me',
  'owasp:api5:2023-admin-security-unique paths./api/admin/question-sets.get.security.0':
    'whoever reads leads reads the question sets leads are entered with (leads:read)',
  'owasp:api5:2023-admin-security-unique paths./api/admin/workflow-policy.get.security.0':
    'whoever proposes changes reads the policy that decides whether they need approval (workflow:propose)',
};

let t: TestApp;
let doc: any;

beforeAll(async () => {
  // Production limits, so the document describes the rate-limited public routes as deployed.
  t = await proofApp({ publicRateLimit: 60, loginRateLimit: 10 });
  doc = await openapiDocument(t.app);
});
afterAll(async () => t?.close());

const toOpenApi = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('route inventory', () => {
  it('every registered route is documented, and every documented operation is registered', () => {
    // HEAD routes are Fastify's automatic twins of GET routes. Everything outside /api is a page for people
    // (/docs: the Swagger UI; /: the console; /apply: the public intake form; and their static assets),
    // HTML, JS and CSS rather than API operations, so it does not belong in the document.
    const routes = registeredRoutes(t.app).filter((r) => r.method !== 'HEAD' && /^\/api(\/|$)/.test(r.url));
    const registered = new Set(routes.map((r) => `${r.method} ${toOpenApi(r.url)}`));
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const m of Object.keys(item)) {
        expect(HTTP_METHODS as readonly string[], `${m} ${path}`).toContain(m);
        documented.add(`${m.toUpperCase()} ${path}`);
      }
    }
    const undocumented = [...registered].filter((r) => !documented.has(r));
    const phantom = [...documented].filter((d) => !registered.has(d));
    console.log(`route inventory: ${registered.size} routes registered, ${documented.size} operations documented`);
    expect(undocumented).toEqual([]);
    expect(phantom).toEqual([]);
    expect(registered.size).toBeGreaterThan(50);
    expect(registered.has('GET /api/openapi.json')).toBe(true);
  });

  it('every operation declares its security, a success response and problem+json errors', () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(Array.isArray(op.security), where).toBe(true);
        const statuses = Object.keys(op.responses);
        // A success response, unless the operation exists only to refuse (DELETE of a lead → 405).
        expect(
          statuses.some((s) => /^2/.test(s) || s === '405'),
          `${where} success`,
        ).toBe(true);
        for (const s of ['500', 'default']) expect(statuses, where).toContain(s);
        for (const [status, res] of Object.entries<any>(op.responses)) {
          if (status !== 'default' && Number(status) < 400) continue;
          expect(Object.keys(res.content ?? {}), `${where} ${status}`).toEqual(['application/problem+json']);
          const schema = res.content['application/problem+json'].schema;
          expect(schema.required, `${where} ${status}`).toEqual(
            expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'requestId']),
          );
          if (status === '429') expect(res.headers?.['Retry-After']?.required, `${where} 429`).toBe(true);
        }
      }
    }
  });

  it('is a valid OpenAPI 3.1 document, and every schema in it compiles as JSON Schema 2020-12', () => {
    const dir = dirname(require.resolve('@stoplight/spectral-rulesets/dist/oas/schemas/oas/v3.1/index.json'));
    const ajv = newAjv({ allErrors: true });
    // Spectral's copy of the 3.1 dialect names draft 2020-12 by a Stoplight alias; point it back.
    for (const f of ['meta.schema.json', 'dialect.schema.json']) {
      const text = readFileSync(join(dir, f), 'utf8').replace(
        'https://stoplight.io/json-schema/draft/2020-12',
        'https://json-schema.org/draft/2020-12/schema',
      );
      ajv.addMetaSchema(JSON.parse(text));
    }
    const validate = ajv.compile(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')));
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\./);

    let schemas = 0;
    const compile = (schema: unknown, where: string) => {
      schemas++;
      expect(() => ajv.compile(schema as object), where).not.toThrow();
    };
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        for (const p of op.parameters ?? []) compile(p.schema, `${method} ${path} ${p.name}`);
        for (const [type, media] of Object.entries<any>(op.requestBody?.content ?? {})) {
          if (media.schema) compile(media.schema, `${method} ${path} body ${type}`);
        }
        for (const [status, res] of Object.entries<any>(op.responses)) {
          for (const media of Object.values<any>(res.content ?? {})) {
            if (media.schema) compile(media.schema, `${method} ${path} ${status}`);
          }
        }
      }
    }
    console.log(`openapi: valid 3.1 document; ${schemas} schemas compiled`);
  });

  it('passes Spectral (spectral:oas + OWASP API Security ruleset) with 0 errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helio-openapi-'));
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    try {
      const bin = join(ROOT, 'node_modules/.bin/spectral');
      const run = await promisify(execFile)(
        bin,
        ['lint', file, '--ruleset', join(ROOT, '.spectral.yaml'), '-f', 'json', '--fail-severity', 'error'],
        { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 },
      ).catch((err: any) => ({ stdout: String(err.stdout ?? ''), stderr: String(err.stderr ?? '') }));
      const start = run.stdout.indexOf('[');
      expect(start, `spectral printed no JSON: ${run.stderr}`).toBeGreaterThanOrEqual(0);
      const results: { code: string; severity: number; path: string[]; message: string }[] = JSON.parse(
        run.stdout.slice(start),
      );
      const where = (r: { code: string; path: string[] }) => `${r.code} ${r.path.join('.')}`;
      const errors = results.filter((r) => r.severity === 0);
      const accepted = errors.filter((r) => where(r) in ACCEPTED_ERRORS);
      const warnings = results.filter((r) => r.severity === 1);
      console.log(
        `spectral: ${errors.length - accepted.length} errors (${accepted.length} accepted: ${accepted.map((r) => `${where(r)} — ${ACCEPTED_ERRORS[where(r)]}`).join('; ')}), ` +
          `${warnings.length} warnings by rule: ${JSON.stringify(
            tally(warnings, (r) => r.code),
            null,
            1,
          )}`,
      );
      // Every warning, one line each, for the record (the common ones are the same finding on each operation).
      const byRule = new Map<string, string[]>();
      for (const w of warnings) byRule.set(w.code, [...(byRule.get(w.code) ?? []), w.path.join('.')]);
      for (const [rule, paths] of byRule) {
        console.log(
          `  warn ${rule} (${paths.length}): ${paths.slice(0, 5).join(' | ')}${paths.length > 5 ? ' | …' : ''}`,
        );
      }
      expect(errors.filter((r) => !(where(r) in ACCEPTED_ERRORS)).map((r) => `${where(r)}: ${r.message}`)).toEqual([]);
      const stale = Object.keys(ACCEPTED_ERRORS).filter((k) => !accepted.some((r) => where(r) === k));
      if (stale.length) console.log(`spectral: accepted findings no longer reported (drop them): ${stale.join('; ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
