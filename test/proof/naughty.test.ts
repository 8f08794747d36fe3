/**
 * Bad input: every string of the Big List of Naughty Strings into every text field of every JSON
 * POST/PATCH/PUT operation (fields discovered from the OpenAPI request schemas). No answer may be a 5xx,
 * and a value the API accepted must read back identical (or trimmed: text fields are trimmed by design)
 * through the operation's GET.
 *
 * The same string goes into all text fields of a body at once; when that body is refused, each field is
 * tried alone, so one strict field (an email, a name that must be unique) does not hide the others.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, intakeBody, type Res, usingPostgres } from '../helpers.ts';
import {
  getPath,
  type Operation,
  proofWorld,
  refFor,
  sample,
  setPath,
  tally,
  textFields,
  urlFor,
  type World,
} from './support.ts';

const BLNS: string[] = JSON.parse(
  readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/testdata/blns.json'), 'utf8'),
);

/**
 * ~57,000 requests: on PostgreSQL the lanes below run in parallel (about 5–8 min on 2 cores); the embedded
 * database serves one statement at a time and takes over 30 min. So this file runs in the PostgreSQL pass
 * (`.ci/run` sets TEST_DATABASE_URL), and on the embedded database only with NAUGHTY_EMBEDDED=1.
 */
const RUN = usingPostgres() || process.env.NAUGHTY_EMBEDDED === '1';

/** Operations run concurrently in this many lanes (a real database serves them in parallel). */
const LANES = 4;
/**
 * Operations that change what every intake is checked against (a question set makes the intake's
 * assessment version unknown): they run after all the others.
 */
const TENANT_WIDE = new Set(['POST /api/admin/question-sets']);
/** Values never returned by the API (secrets): accepted, but there is nothing to read back. */
const WRITE_ONLY = new Set(['password']);
/**
 * Contact points the API stores in a canonical form by design (API.md: dedup on email and phone; postcodes
 * normalized for routing): email lower-cased, phone E.164 (or dropped when not a number), postcode upper
 * case, region postcode patterns upper case without spaces. They are checked for 5xx, not for read-back.
 */
const CANONICAL = new Set(['email', 'phone', 'postcode', 'patterns']);
/** A person's name is one line in Unicode NFC (platform/normalize.ts): runs of white space become one space. */
const PERSON_NAME = /^(contact\.)?(name|fullName|firstName|lastName)$/;
const PEOPLE_PATHS = ['/api/leads', '/api/public/{tenantSlug}/leads', '/api/crm/contacts'];
/**
 * KNOWN, reported to the lead (not a proof failure until decided): PATCH of a lead accepts
 * contact.firstName/lastName but the lead stores only the full name; with `name` in the same body the
 * parts are dropped silently, and the person's parts are never updated. Fix: store them, or refuse them.
 */
const KNOWN_NOT_STORED = new Set(['PATCH /api/leads/{id} contact.firstName', 'PATCH /api/leads/{id} contact.lastName']);

let w: World;
/** Per-operation bodies and path ids the schema cannot express (cross-field rules, state, references). */
let overrides: Record<
  string,
  { body?: () => Record<string, unknown>; ids?: Record<string, string>; after?: (ok: boolean) => void }
>;

beforeAll(async () => {
  if (!RUN) return;
  w = await proofWorld();
  const token = w.tenant.apiKey;
  const post = async (url: string, body: unknown) => {
    const res = await call(w.t.app, 'POST', url, { token, body });
    expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(201);
    return res.body;
  };
  // A lead of its own, toggled contacted ⇄ nurturing by the transitions it accepts.
  const lead = await post('/api/leads', intakeBody());
  let leadStatus = 'new';
  // A pipeline no record uses, so replacing its stages is allowed.
  const pipeline = await post('/api/crm/pipelines', {
    kind: 'sales',
    name: 'Naughty pipeline',
    stages: [
      { key: 'first', name: 'First', probability: 10 },
      { key: 'won', name: 'Won', probability: 100, isWon: true },
      { key: 'lost', name: 'Lost', probability: 0, isLost: true },
    ],
  });
  const stagesOf = async (kind: 'opportunities' | 'projects') => {
    const id = w.fixtures.get(kind === 'opportunities' ? 'opportunity' : 'project')![0];
    const rec = (await call(w.t.app, 'GET', `/api/crm/${kind}/${id}`, { token })).body;
    const pl = (await call(w.t.app, 'GET', `/api/crm/pipelines/${rec.pipelineId}`, { token })).body;
    const open = pl.stages.filter((st: any) => !st.isWon && !st.isLost).map((st: any) => st.key as string);
    let current = rec.stage as string;
    const other = () => open.find((k: string) => k !== current)!;
    return {
      body: () => ({ stage: other() }),
      after: (ok: boolean) => {
        if (ok) current = other();
      },
    };
  };
  const personId = w.fixtures.get('person')![0];
  overrides = {
    'POST /api/public/{tenantSlug}/leads': { body: () => intakeBody() },
    'POST /api/leads': { body: () => intakeBody() },
    'POST /api/public/waitlist': {
      body: () => ({ email: `waitlist.${Math.random().toString(36).slice(2)}@example.com`, consent: { terms: true } }),
    },
    'POST /api/admin/users': {
      body: () => ({
        email: `naughty.${Math.random().toString(36).slice(2)}@example.com`,
        name: 'N',
        roles: ['agent'],
      }),
    },
    'POST /api/admin/api-keys': { body: () => ({ name: 'N', roles: ['agent'] }) },
    // Not activated: an active question set would make the intake's sample answers invalid in other lanes.
    'POST /api/admin/question-sets': { body: () => ({ activate: false }) },
    'POST /api/leads/{id}/transitions': {
      ids: { id: lead.id },
      body: () => ({ to: leadStatus === 'contacted' ? 'nurturing' : 'contacted' }),
      after: (ok) => {
        if (ok) leadStatus = leadStatus === 'contacted' ? 'nurturing' : 'contacted';
      },
    },
    'PATCH /api/crm/pipelines/{id}': { ids: { id: pipeline.id } },
    'POST /api/crm/opportunities/{id}/stage': await stagesOf('opportunities'),
    'POST /api/crm/projects/{id}/stage': await stagesOf('projects'),
    'POST /api/workflow/proposals': {
      body: () => ({
        targetDomain: 'crm',
        targetEntityRef: personId,
        operation: 'update',
        patch: { fullName: 'Proposed Name' },
        baseVersion: 1,
      }),
    },
  };
}, 300_000);

afterAll(async () => w?.t.close());

type Field = { path: string[]; schema: any };
let uniq = 0;

/** Resolves the schema at a path of the body schema (object properties, array items, nullable unions). */
function schemaAt(schema: any, path: string[]): any {
  let s = schema;
  for (const k of path) {
    s = (s?.anyOf ?? s?.oneOf)?.find((x: any) => x.type !== 'null') ?? s;
    s = /^\d+$/.test(k) ? s?.items : s?.properties?.[k];
  }
  return (s?.anyOf ?? s?.oneOf)?.find((x: any) => x.type !== 'null') ?? s;
}

/** Pattern-bound strings made unique per request (codes, keys), where the pattern allows a suffix. */
function uniquify(schema: any, value: any): any {
  const s = (schema?.anyOf ?? schema?.oneOf)?.find((x: any) => x.type !== 'null') ?? schema;
  if (typeof value === 'string' && s?.pattern && !s.enum && !s.format) {
    const re = new RegExp(s.pattern);
    const n = ++uniq;
    for (const c of [`${value}${n}`, `${value}_${n}`, `${value}-${n}`, `s${n}`]) {
      if (re.test(c) && c.length <= (s.maxLength ?? Infinity)) return c;
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => uniquify(s?.items, v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, uniquify(s?.properties?.[k], v)]));
  }
  return value;
}

/** The required part of a valid body (fresh emails and codes each time), with `value` in the given fields. */
function bodyWith(op: Operation, fields: Field[], value: string) {
  const ref = refFor(w.fixtures);
  const base = uniquify(op.jsonBody, sample(op.jsonBody, ref, '', 1)) ?? {};
  const body: any = { ...base, ...overrides[`${op.method} ${op.path}`]?.body?.() };
  for (const f of fields) {
    // Parents the minimal body left out are filled with their own minimal valid value first.
    for (let i = 1; i < f.path.length; i++) {
      if (getPath(body, f.path.slice(0, i)) === undefined) {
        const parent = schemaAt(op.jsonBody, f.path.slice(0, i));
        setPath(body, f.path.slice(0, i), uniquify(parent, sample(parent, ref, f.path[i - 1], 2)));
      }
    }
    setPath(body, f.path, value);
  }
  return body;
}

/** Where to read an accepted write back: the record's GET, or the sub-resource list it was added to. */
function readBackUrl(op: Operation, url: string, res: Res): { url: string; find?: string } | undefined {
  const has = (method: string, path: string) => w.ops.some((o) => o.method === method && o.path === path);
  if (op.method !== 'POST' && has('GET', op.path)) return { url };
  const id = res.body?.id;
  if (op.method === 'POST' && typeof id === 'string') {
    if (has('GET', `${op.path}/{id}`)) return { url: `${url}/${id}` };
    if (has('GET', op.path)) return { url: `${url}?limit=200`, find: id };
  }
  return undefined;
}

function deepStrings(v: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof v === 'string') out.add(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) deepStrings(x, out);
  return out;
}

interface Outcome {
  op: string;
  field: string;
  index: number;
  status: number;
  code?: string;
}

const ops = () =>
  w.ops.filter((o) => ['POST', 'PATCH', 'PUT'].includes(o.method) && o.jsonBody && textFields(o.jsonBody).length > 0);

describe.skipIf(!RUN)('Big List of Naughty Strings into every text field', () => {
  it(`reads ${BLNS.length} strings from the shared test data`, () => {
    expect(BLNS.length).toBe(515);
    const withoutText = w.ops.filter(
      (o) => ['POST', 'PATCH', 'PUT'].includes(o.method) && !(o.jsonBody && textFields(o.jsonBody).length > 0),
    );
    console.log(
      `naughty: ${ops().length} operations with ${ops().reduce((n, o) => n + textFields(o.jsonBody).length, 0)} text fields; ` +
        `${withoutText.length} write operations without text fields: ${withoutText.map((o) => `${o.method} ${o.path}`).join(', ')}`,
    );
  });

  it('no 5xx on any operation, and every accepted value reads back identical', async () => {
    const serverErrors: Outcome[] = [];
    const mismatches: string[] = [];
    const refused: Outcome[] = [];
    const accepted: Record<string, number> = {};
    const noReadBack = new Set<string>();
    let requests = 0;
    let trimmed = 0;

    // Operations run in lanes, concurrently; the operations on one resource family share a lane (in order),
    // so no two lanes write the same record.
    const family = (op: Operation) => op.path.split('/{')[0].split('/').slice(0, 4).join('/');
    const families = [...new Set(ops().map(family))];
    const lanes: Operation[][] = Array.from({ length: LANES }, () => []);
    for (const [i, f] of families.entries()) {
      lanes[i % LANES].push(...ops().filter((o) => family(o) === f && !TENANT_WIDE.has(`${o.method} ${o.path}`)));
    }
    const runOp = async (op: Operation) => {
      const name = `${op.method} ${op.path}`;
      const fields = textFields(op.jsonBody) as Field[];
      const override = overrides[name];
      // The admin's own user is the first fixture: write to the second (disabling the owner ends the run).
      const ids = op.path === '/api/admin/users/{id}' ? { id: w.fixtures.get('user')![1] } : override?.ids;
      const url = urlFor(w, op, ids);
      const send = async (fs: Field[], value: string) => {
        requests++;
        const res = await call(w.t.app, op.method as any, url, {
          token: w.tenant.apiKey,
          body: bodyWith(op, fs, value),
        });
        override?.after?.(res.status < 300);
        return res;
      };
      accepted[name] = 0;
      const started = Date.now();
      for (let index = 0; index < BLNS.length; index++) {
        const s = BLNS[index];
        let tries: { fields: Field[]; res: Res }[] = [{ fields, res: await send(fields, s) }];
        if (tries[0].res.status === 400 && fields.length > 1) {
          // The fields the refusal names are refused (recorded as such); the others keep the string and are
          // sent again together, or one by one when the refusal names none of them.
          const named = (tries[0].res.body?.errors ?? []).map((e: { path: string }) => e.path);
          const blamed = fields.filter((f) => named.includes(f.path.join('.')));
          const rest = fields.filter((f) => !blamed.includes(f));
          tries = blamed.map((f) => ({ fields: [f], res: tries[0].res }));
          if (blamed.length && rest.length) {
            const res = await send(rest, s);
            if (res.status !== 400) tries.push({ fields: rest, res });
            else for (const f of rest) tries.push({ fields: [f], res: await send([f], s) });
          } else if (!blamed.length) {
            for (const f of fields) tries.push({ fields: [f], res: await send([f], s) });
          }
        }
        for (const { fields: fs, res } of tries) {
          const field = fs.length > 1 ? '*' : fs[0].path.join('.');
          if (res.status >= 500) {
            serverErrors.push({ op: name, field, index, status: res.status, code: res.body?.code });
            continue;
          }
          if (res.status >= 300) {
            refused.push({ op: name, field, index, status: res.status, code: res.body?.code });
            continue;
          }
          accepted[name]++;
          const back = readBackUrl(op, url, res);
          if (!back) {
            noReadBack.add(name);
            continue;
          }
          requests++;
          const got = await call(w.t.app, 'GET', back.url, { token: w.tenant.apiKey });
          if (got.status >= 500) serverErrors.push({ op: `GET after ${name}`, field, index, status: got.status });
          expect(got.status, `GET ${back.url}`).toBe(200);
          const record = back.find ? got.body.data?.find((x: any) => x.id === back.find) : got.body;
          // A lead keeps the full name; first and last name live on its person (the CRM contact).
          const person =
            fs.some((f) => /^contact\.(firstName|lastName)$/.test(f.path.join('.'))) && record?.personId
              ? (await call(w.t.app, 'GET', `/api/crm/contacts/${record.personId}`, { token: w.tenant.apiKey })).body
              : undefined;
          for (const f of fs) {
            const last = f.path[f.path.length - 1].replace(/^\d+$/, '') || f.path[f.path.length - 2];
            if (WRITE_ONLY.has(last) || CANONICAL.has(last)) continue;
            if (KNOWN_NOT_STORED.has(`${name} ${f.path.join('.')}`)) continue;
            const onPerson = person && /^contact\.(firstName|lastName)$/.test(f.path.join('.'));
            const value = onPerson ? person[f.path[1]] : getPath(record, f.path);
            const personName = PEOPLE_PATHS.some((p) => op.path.startsWith(p)) && PERSON_NAME.test(f.path.join('.'));
            const ok = (v: unknown) =>
              v === s || v === s.trim() || (personName && v === s.normalize('NFC').trim().replace(/\s+/g, ' '));
            if (ok(value)) {
              if (value !== s) trimmed++;
              continue;
            }
            // A field the read model nests elsewhere: the value must still be there, somewhere.
            const anywhere = [...deepStrings(record)].some(ok);
            if (value === undefined && anywhere) continue;
            mismatches.push(
              `${name} ${f.path.join('.')} #${index} ${JSON.stringify(s).slice(0, 60)} → ${JSON.stringify(value)?.slice(0, 60)}`,
            );
          }
        }
      }
      const failed =
        serverErrors.filter((e) => e.op.endsWith(name)).length + mismatches.filter((m) => m.startsWith(name)).length;
      console.log(
        `naughty: ${name}: ${accepted[name]} accepted, ${failed} failures, ${Math.round((Date.now() - started) / 1000)} s`,
      );
    };
    await Promise.all(
      lanes.map(async (lane) => {
        for (const op of lane) await runOp(op);
      }),
    );
    for (const op of ops().filter((o) => TENANT_WIDE.has(`${o.method} ${o.path}`))) await runOp(op);

    console.log(`naughty: ${requests} requests; accepted per operation: ${JSON.stringify(accepted, null, 1)}`);
    console.log(`naughty: ${trimmed} accepted values read back trimmed (text fields trim surrounding whitespace)`);
    console.log(`naughty: operations without a GET to read back from: ${[...noReadBack].join(', ') || 'none'}`);
    console.log(
      `naughty: refusals by operation/field/status/code: ${JSON.stringify(
        tally(refused, (r) => `${r.op} ${r.field} ${r.status} ${r.code}`),
        null,
        1,
      )}`,
    );
    const refusedStrings = new Set(refused.map((r) => r.index));
    console.log(
      `naughty: strings refused somewhere (index: sample): ${[...refusedStrings]
        .slice(0, 40)
        .map((i) => `${i}:${JSON.stringify(BLNS[i]).slice(0, 24)}`)
        .join(' ')}${refusedStrings.size > 40 ? ` … (${refusedStrings.size})` : ''}`,
    );
    expect(serverErrors).toEqual([]);
    expect(mismatches).toEqual([]);
    // An operation that accepted none of the strings refused them for its state or references (the fixture
    // is no longer in the needed state, or the route's records are not seeded), never for the text alone.
    const none = Object.entries(accepted)
      .filter(([, n]) => n === 0)
      .map(([name]) => name);
    const reasons = Object.fromEntries(
      none.map((name) => [
        name,
        Object.keys(
          tally(
            refused.filter((r) => r.op === name),
            (r) => `${r.status} ${r.code}`,
          ),
        ),
      ]),
    );
    console.log(
      `naughty: operations that accepted no string, with their refusals: ${JSON.stringify(reasons, null, 1)}`,
    );
    // (Operations whose only text is an email, phone or postcode refuse naughty strings by their format.)
    const formatted = (name: string) =>
      textFields(ops().find((o) => `${o.method} ${o.path}` === name)!.jsonBody).every((f: Field) =>
        CANONICAL.has(f.path[f.path.length - 1].replace(/^\d+$/, '') || f.path[f.path.length - 2]),
      );
    for (const name of none.filter((n) => !formatted(n))) {
      expect(
        reasons[name].some((r: string) => !r.startsWith('400 ')),
        name,
      ).toBe(true);
    }
  }, 2_400_000);
});
