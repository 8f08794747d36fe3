/**
 * Property-based fuzzing of every operation from its OpenAPI request schemas: path, query and body values
 * drawn from arbitraries derived from each schema — mostly valid-ish values (seeded record ids, enums,
 * boundary numbers, unicode text), mixed with wrong types, extra fields, out-of-range numbers and
 * over-long strings. Every answer must be < 500 and match the response the document declares for its
 * status (media type and JSON schema, checked with ajv).
 *
 * Reproduce a run with FUZZ_SEED=<seed printed below>; FUZZ_RUNS raises the runs per operation (≥ 200).
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Res } from '../helpers.ts';
import { kindOfField, kindOfParam } from '../security/sweep.ts';
import { declaredResponse, mediaType, newAjv, type Operation, proofWorld, type World } from './support.ts';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS = Math.max(200, Number(process.env.FUZZ_RUNS ?? 200));
const LANES = 4;

let w: World;
beforeAll(async () => {
  w = await proofWorld();
}, 300_000);
afterAll(async () => w?.t.close());

const ajv = newAjv();
const compiled = new Map<object, ValidateFunction>();
const validatorFor = (schema: object) => {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
};

// ---------- arbitraries from JSON schemas ----------

const nonNull = (s: any) => (s?.anyOf ?? s?.oneOf)?.filter((x: any) => x.type !== 'null') ?? [s];
const typeOf = (s: any) => (Array.isArray(s?.type) ? s.type.find((t: string) => t !== 'null') : s?.type);

/** Text the way clients send it, and the way attackers do: unicode, controls, long, empty. */
const text = (max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: Math.min(max, 40) }) },
    { weight: 3, arbitrary: fc.string({ maxLength: Math.min(max, 40), unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u202e', '𝕳𝖊𝖑𝖎𝖔', '0', 'null', '<script>', "' or 1=1 --") },
    { weight: 1, arbitrary: fc.constant('x'.repeat(Math.min(max, 5000))) },
  );

/** Values of the wrong type or out of the schema's range, to mix into any position. */
const wrong = (s: any): fc.Arbitrary<unknown> => {
  const t = typeOf(s);
  const out: fc.Arbitrary<unknown>[] = [
    fc.constantFrom(null, true, 0, -1, '', [], {}, 'not-a-uuid', 1e308, -1e308, 2 ** 53),
    fc.jsonValue({ maxDepth: 2 }),
  ];
  if (t === 'string' && s.maxLength !== undefined) out.push(fc.constant('y'.repeat(s.maxLength + 1)));
  if ((t === 'integer' || t === 'number') && s.maximum !== undefined) out.push(fc.constant(s.maximum + 1));
  if ((t === 'integer' || t === 'number') && s.minimum !== undefined) out.push(fc.constant(s.minimum - 1));
  if (t === 'integer') out.push(fc.constant(1.5));
  if (t === 'array' && s.maxItems !== undefined && s.maxItems < 300) {
    out.push(fc.constant(Array.from({ length: s.maxItems + 1 }, () => 'z')));
  }
  return fc.oneof(...out);
};

function ids(name: string, path?: string): string[] {
  const kind = path ? kindOfParam(path, name) : kindOfField(name);
  return (kind && w.fixtures.get(kind)) || [];
}

/** A valid-ish value of the schema (mostly valid, sometimes at a boundary). */
function validish(s: any, name: string, depth: number, path?: string): fc.Arbitrary<unknown> {
  if (!s || typeof s !== 'object') return fc.jsonValue({ maxDepth: 1 });
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  const alts = nonNull(s);
  if (alts.length > 1 || alts[0] !== s) {
    const arbs = alts.map((a: any) => validish(a, name, depth, path));
    return (s.anyOf ?? s.oneOf).some((x: any) => x.type === 'null')
      ? fc.oneof(...arbs, fc.constant(null))
      : fc.oneof(...arbs);
  }
  switch (typeOf(s)) {
    case 'string': {
      if (s.format === 'uuid') {
        const known = ids(name, path);
        return known.length ? fc.oneof(fc.constantFrom(...known), fc.uuid()) : fc.uuid();
      }
      if (s.format === 'date-time') {
        return fc
          .date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString());
      }
      if (s.format === 'date') {
        return fc
          .date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10));
      }
      if (s.format === 'email' || /email/i.test(name)) {
        return fc.oneof(
          fc.emailAddress(),
          fc.uuid().map((u) => `fuzz.${u.slice(0, 8)}@example.com`),
        );
      }
      if (s.pattern) {
        const re = new RegExp(s.pattern);
        return fc.stringMatching(re).filter((x) => x.length <= (s.maxLength ?? 1000) && x.length >= (s.minLength ?? 0));
      }
      return text(s.maxLength ?? 200);
    }
    case 'integer': {
      const min = Math.max(s.minimum ?? -(2 ** 31), Number.MIN_SAFE_INTEGER);
      const max = Math.min(s.maximum ?? 2 ** 31 - 1, Number.MAX_SAFE_INTEGER);
      return fc.oneof(fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, 1e9) }), fc.constantFrom(min, max));
    }
    case 'number': {
      const min = s.minimum ?? -1e12;
      const max = s.maximum ?? 1e12;
      return fc.oneof(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(min, max, 0));
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const maxLength = Math.min(s.maxItems ?? 5, 5);
      return fc.array(validish(s.items, name, depth + 1), {
        minLength: Math.min(s.minItems ?? 0, maxLength),
        maxLength,
      });
    }
    case 'object': {
      if (depth > 4) return fc.constant({});
      const props = Object.entries<any>(s.properties ?? {});
      if (!props.length)
        return fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 });
      const required = new Set<string>(s.required ?? []);
      return fc.record(Object.fromEntries(props.map(([k, v]) => [k, anyValue(v, k, depth + 1)])), {
        requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)),
      });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Mostly valid-ish, sometimes wrong. */
const anyValue = (s: any, name: string, depth: number, path?: string) =>
  fc.oneof({ weight: 9, arbitrary: validish(s, name, depth, path) }, { weight: 1, arbitrary: wrong(s) });

/** A body: the schema's values, sometimes with an unknown field, sometimes entirely wrong. */
const bodyArb = (s: any) =>
  fc.oneof(
    { weight: 8, arbitrary: validish(s, '', 0) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validish(s, '', 0), fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }))
        .map(([b, k, v]) => (b && typeof b === 'object' && !Array.isArray(b) ? { ...b, [`x${k}`]: v } : b)),
    },
    { weight: 1, arbitrary: wrong(s) },
  );

const queryValue = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

interface Request {
  url: string;
  body: unknown;
  raw?: string;
}

function requestArb(op: Operation): fc.Arbitrary<Request> {
  const pathArbs = op.pathParams.map((p) =>
    p.name === 'tenantSlug'
      ? fc.oneof({ weight: 4, arbitrary: fc.constant(w.tenant.slug) }, { weight: 1, arbitrary: text(60) })
      : // The owner's own user stays untouched (disabling it would end the credential the run uses).
        (op.path === '/api/admin/users/{id}'
          ? fc.oneof(fc.constant(w.fixtures.get('user')![1]), fc.uuid())
          : anyValue(p.schema, p.name, 1, op.path)
        ).map(queryValue),
  );
  const queryArbs = op.queryParams.map((q) =>
    fc.option(anyValue(q.schema, q.name, 1).map(queryValue), { nil: undefined, freq: q.required ? 8 : 2 }),
  );
  const extraQuery = fc.option(fc.tuple(fc.constantFrom('limit', 'cursor', 'zzz'), text(20)), {
    freq: 5,
    nil: undefined,
  });
  const jsonBody = op.jsonBody ? bodyArb(op.jsonBody) : fc.constant(undefined);
  const otherBody = op.bodyTypes.some((t) => t !== 'application/json')
    ? fc.option(fc.string({ maxLength: 200 }), { nil: undefined })
    : fc.constant(undefined);
  return fc
    .tuple(fc.tuple(...pathArbs), fc.tuple(...queryArbs), extraQuery, jsonBody, otherBody)
    .map(([path, query, extra, body, raw]) => {
      let url = op.path;
      op.pathParams.forEach((p, i) => {
        url = url.replace(`{${p.name}}`, encodeURIComponent(String(path[i] ?? '')));
      });
      const qs = new URLSearchParams();
      op.queryParams.forEach((q, i) => {
        if (query[i] !== undefined) qs.append(q.name, String(query[i]));
      });
      if (extra) qs.append(extra[0], extra[1]);
      const s = qs.toString();
      return { url: s ? `${url}?${s}` : url, body, raw: op.jsonBody ? undefined : raw };
    });
}

async function send(op: Operation, r: Request): Promise<Res> {
  if (r.raw !== undefined) {
    const res = await w.t.app.inject({
      method: op.method as any,
      url: r.url,
      headers: {
        authorization: `Bearer ${w.tenant.apiKey}`,
        'content-type': op.bodyTypes.find((t) => t !== 'application/json')!,
      },
      payload: r.raw,
    });
    let body: any = res.body;
    try {
      body = res.body ? JSON.parse(res.body) : null;
    } catch {}
    return { status: res.statusCode, body, headers: res.headers };
  }
  return call(w.t.app, op.method as any, r.url, {
    token: w.tenant.apiKey,
    body: op.method === 'GET' || op.method === 'DELETE' ? undefined : (r.body ?? (op.jsonBody ? {} : undefined)),
  });
}

/** The answer is < 500 and is what the document declares for its status: media type and schema. */
function checkResponse(op: Operation, res: Res): string | undefined {
  if (res.status >= 500) return `status ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`;
  const declared = declaredResponse(w.doc, op, res.status);
  if (!declared) return `status ${res.status} is not declared`;
  const content = declared.content ?? {};
  if (!Object.keys(content).length) {
    return res.body === null || res.body === '' ? undefined : `status ${res.status} declares no body, got one`;
  }
  const type = mediaType(res);
  const media = content[type];
  if (!media) return `status ${res.status}: content-type ${type}, declared ${Object.keys(content).join(', ')}`;
  if (!media.schema) return undefined;
  const validate = validatorFor(media.schema);
  if (!validate(res.body)) {
    return `status ${res.status} body does not match its schema: ${ajv.errorsText(validate.errors)} — ${JSON.stringify(res.body).slice(0, 300)}`;
  }
  return undefined;
}

describe('fuzzing every operation from its OpenAPI schemas', () => {
  it(`${RUNS} runs per operation: no 5xx, every answer as declared (seed ${SEED})`, async () => {
    console.log(
      `fuzz: seed ${SEED} (FUZZ_SEED=${SEED} reproduces), ${RUNS} runs per operation, ${w.ops.length} operations`,
    );
    const failures: string[] = [];
    const statuses: Record<string, Record<number, number>> = {};
    const started = Date.now();
    const runOp = async (op: Operation, i: number) => {
      const name = `${op.method} ${op.path}`;
      const seen: Record<number, number> = {};
      statuses[name] = seen;
      const seed = SEED + i;
      try {
        await fc.assert(
          fc.asyncProperty(requestArb(op), async (r) => {
            const res = await send(op, r);
            seen[res.status] = (seen[res.status] ?? 0) + 1;
            const problem = checkResponse(op, res);
            if (problem)
              throw new Error(`${op.method} ${r.url} ${JSON.stringify(r.body ?? r.raw)?.slice(0, 300)} → ${problem}`);
          }),
          { numRuns: RUNS, seed, endOnFailure: true },
        );
      } catch (err: any) {
        const message = String(err?.message ?? err);
        const cause =
          err?.cause?.message ?? /Got error: (.*)/.exec(message)?.[1] ?? message.split('\n').slice(0, 6).join(' ');
        failures.push(`${name} (seed ${seed}): ${cause.slice(0, 1500)}`);
      }
    };
    // Operations run in LANES concurrently (the database overlaps their work); each keeps its own seed.
    const queue = [...w.ops.entries()];
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await runOp(next[1], next[0]);
      }),
    );
    // The run kept its credential: no operation disabled the owner or revoked the key mid-run.
    expect((await call(w.t.app, 'GET', '/api/me', { token: w.tenant.apiKey })).status).toBe(200);
    console.log(
      `fuzz: ${w.ops.length * RUNS} requests in ${Math.round((Date.now() - started) / 1000)} s; statuses per operation: ` +
        JSON.stringify(statuses),
    );
    for (const f of failures) console.log(`fuzz failure: ${f}`);
    expect(failures).toEqual([]);
  }, 900_000);
});
