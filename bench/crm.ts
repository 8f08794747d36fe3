/**
 * Client 360 and the contact list with summaries on PostgreSQL (DESIGN §8: client 360 for a person
 * with 10k interactions p95 ≤ 30 ms; contact list at 1M people p95 ≤ 2× the same SQL run directly).
 * One tenant of BENCH_CRM_PEOPLE people (default 1M) with a timeline and a score each; one "heavy"
 * person with 10k interactions, 10k opportunities, 10k tasks, accounts and projects. Times the read
 * models as the routes run them (tenantTx + the workflow), one at a time, and the contact list's own
 * statements (captured from drizzle) replayed directly through postgres-js.
 *   npx tsx bench/crm.ts
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as contactsRepo from '../src/modules/crm/contacts/repository.ts';
import * as crm from '../src/modules/crm/index.ts';
import * as interactions from '../src/modules/interactions/index.ts';
import * as leads from '../src/modules/leads/index.ts';
import { systemActor } from '../src/platform/context.ts';
import { openDatabase, type Tx } from '../src/platform/db.ts';
import { setCursorSecret } from '../src/platform/pagination.ts';
import { client360 } from '../src/workflows/client-360.ts';
import { listContactsWithSummaries } from '../src/workflows/contact-list.ts';
import { provisionTenant } from '../src/workflows/tenant-provisioning.ts';
import { createBenchDatabase, fmt, log, percentile } from './lib.ts';

const PEOPLE = Number(process.env.BENCH_CRM_PEOPLE ?? 1_000_000);
const HEAVY = 10_000;
const ITERATIONS = Number(process.env.BENCH_CRM_REQUESTS ?? 300);

export interface CrmResult {
  people: number;
  client360: { p50: number; p95: number; p99: number };
  contactList: { p50: number; p95: number; p99: number };
  contactListDirect: { p50: number; p95: number; p99: number };
  statements: number;
}

export async function benchCrm(): Promise<CrmResult> {
  const results: Record<string, { p50: number; p95: number; p99: number }> = {};
  let statements = 0;
  setCursorSecret('bench');
  const bench = await createBenchDatabase('helio_bench_crm');
  const db = await openDatabase({ url: bench.url, poolSize: 4 });
  try {
    await db.migrate();
    const tenant = await provisionTenant(db, {
      slug: 'bench-crm',
      name: 'Bench CRM',
      adminEmail: 'owner@bench.example',
      adminPassword: 'correct horse battery staple',
    });
    const t = tenant.tenantId;
    const sql = postgres(bench.url, { max: 1, onnotice: () => {} });
    const t0 = performance.now();
    await sql`set session_replication_role = replica`;
    const [pipeline] = await sql`select id from pipelines where tenant_id = ${t} and kind = 'sales' and is_default`;
    const [delivery] = await sql`select id from pipelines where tenant_id = ${t} and kind = 'delivery' and is_default`;
    const uuid = (seed: string) =>
      `(lpad(to_hex(1700000000000 + i), 12, '0') || '7' || substr(md5(${seed} || i), 1, 3) || '8' || substr(md5(${seed} || i), 5, 15))::uuid`;
    await sql.unsafe(
      `insert into people (tenant_id, id, full_name, email, phone, persona_labels)
       select $1, ${uuid("'p'")}, 'Person ' || i, 'p' || i || '@example.com', '+35387' || lpad(i::text, 7, '0'),
              case when i % 10 = 0 then array['investor'] else '{}' end
       from generate_series(1, ${PEOPLE}) i`,
      [t],
    );
    // Everyone has a few interactions and a score: the list reads a real summary for each row.
    await sql.unsafe(
      `insert into interactions (tenant_id, id, person_id, channel, type, happened_at)
       select $1, gen_random_uuid(), p.id, 'email', 'email_sent', now() - ((i * k) % 1000) * interval '1 hour'
       from (select i, ${uuid("'p'")} as id from generate_series(1, ${PEOPLE}) i) p, generate_series(1, 3) k`,
      [t],
    );
    await sql.unsafe(
      `insert into scores (tenant_id, person_id, score_type, current_value, computed_at)
       select $1, ${uuid("'p'")}, 'intent', (i % 100) / 100.0, now() from generate_series(1, ${PEOPLE}) i`,
      [t],
    );
    const heavy = (await sql.unsafe(`select ${uuid("'p'")} as id from (select ${PEOPLE} as i) x`))[0].id as string;
    await sql.unsafe(
      `insert into interactions (tenant_id, id, person_id, channel, type, happened_at, summary)
       select $1, gen_random_uuid(), $2, (array['email','phone','visit'])[1 + i % 3], 'touch',
              now() - i * interval '1 minute', 'Summary of touch ' || i
       from generate_series(1, ${HEAVY}) i`,
      [t, heavy],
    );
    await sql.unsafe(
      `insert into opportunities (tenant_id, id, person_id, pipeline_id, stage, status, value_amount, value_currency)
       select $1, ${uuid("'h'").replace('1700000000000', '1600000000000')}, $2, $3, case when i % 3 = 0 then 'proposal' else 'new' end,
              case when i % 4 = 0 then 'lost' else 'open' end, 100000 + i, 'EUR'
       from generate_series(1, ${HEAVY}) i`,
      [t, heavy, pipeline.id],
    );
    // Everyone else's opportunities and tasks too (one each), with newer ids than the heavy person's.
    await sql.unsafe(
      `insert into opportunities (tenant_id, id, person_id, pipeline_id, stage, status)
       select $1, ${uuid("'o'")}, ${uuid("'p'")}, $2, 'new', 'open' from generate_series(1, ${PEOPLE} - 1) i`,
      [t, pipeline.id],
    );
    await sql.unsafe(
      `insert into tasks (tenant_id, id, type, title, status, due_at, person_id)
       select $1, ${uuid("'k'")}, 'follow_up', 'Task', 'open', now() + interval '1 hour', ${uuid("'p'")}
       from generate_series(1, ${PEOPLE} - 1) i`,
      [t],
    );
    await sql.unsafe(
      `insert into tasks (tenant_id, id, type, title, status, due_at, person_id)
       select $1, gen_random_uuid(), 'follow_up', 'Task ' || i, case when i % 2 = 0 then 'open' else 'done' end,
              now() + i * interval '1 hour', $2
       from generate_series(1, ${HEAVY}) i`,
      [t, heavy],
    );
    await sql.unsafe(
      `insert into accounts (tenant_id, id, name, type) values ($1, '00000000-0000-7000-8000-000000000001', 'Heavy household', 'household');
       `,
      [t],
    );
    await sql.unsafe(
      `insert into account_members (tenant_id, account_id, person_id, role) values ($1, '00000000-0000-7000-8000-000000000001', $2, 'owner')`,
      [t, heavy],
    );
    await sql.unsafe(
      `insert into projects (tenant_id, id, name, type, account_id, primary_contact_id, pipeline_id, stage)
       select $1, gen_random_uuid(), 'Project ' || i, 'solar_pv', '00000000-0000-7000-8000-000000000001', $2, $3, 'design'
       from generate_series(1, 50) i`,
      [t, heavy, delivery.id],
    );
    await sql.unsafe(
      `insert into score_timeseries (tenant_id, id, person_id, score_type, at, value)
       select $1, gen_random_uuid(), $2, 'intent', now() - i * interval '1 hour', (i % 100) / 100.0
       from generate_series(1, ${HEAVY}) i`,
      [t, heavy],
    );
    await sql`set session_replication_role = origin`;
    // As autovacuum would have it: statistics and the visibility map (index-only counts).
    await sql`vacuum analyze`;
    log(
      `loaded ${PEOPLE.toLocaleString('en')} people, heavy person ${heavy} (${fmt((performance.now() - t0) / 1000)} s)`,
    );

    const actor = systemActor(['crm:read', 'leads:read']);
    const inTx = <T>(fn: (ctx: any) => Promise<T>) =>
      db.tenantTx(t, (tx) => fn({ tenantId: t, actor, tx, requestId: 'bench' }));
    const time = async (name: string, fn: () => Promise<unknown>) => {
      for (let i = 0; i < 30; i++) await fn();
      const xs: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const s = performance.now();
        await fn();
        xs.push(performance.now() - s);
      }
      results[name] = { p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99) };
      log(
        `${name}: p50 ${fmt(percentile(xs, 50), 2)} ms, p95 ${fmt(percentile(xs, 95), 2)} ms, p99 ${fmt(percentile(xs, 99), 2)} ms`,
      );
    };
    const sample = await inTx((ctx) => client360(ctx, heavy));
    log(
      `client 360 of the heavy person: ${sample.interactions.length} interactions of ${sample.counts.interactions}, ` +
        `${sample.opportunities.length} opportunities of ${sample.counts.opportunities}, ${sample.tasks.length} tasks of ${sample.counts.openTasks} open`,
    );
    await time('client 360 (heavy person)', () => inTx((ctx) => client360(ctx, heavy)));
    if (process.env.BENCH_CRM_PARTS) {
      const parts: [string, (ctx: any) => Promise<unknown>][] = [
        ['person', (ctx) => crm.getContact(ctx, heavy)],
        ['accounts', (ctx) => contactsRepo.accountsOfPerson(ctx, heavy, 20)],
        ['relationships', (ctx) => contactsRepo.relationshipsOfPerson(ctx, heavy, undefined, 20)],
        ['opportunities', (ctx) => contactsRepo.opportunitiesOfPerson(ctx, heavy, 20)],
        ['projects', (ctx) => contactsRepo.projectsOfPerson(ctx, heavy, 20)],
        ['open tasks', (ctx) => contactsRepo.openTasksOfPerson(ctx, heavy, 20)],
        ['counts', (ctx) => contactsRepo.countsOfPerson(ctx, heavy)],
        ['leads', (ctx) => leads.listLeadsOfPerson(ctx, heavy, 20)],
        ['timeline', (ctx) => interactions.recentTimeline(ctx, heavy, 20)],
        ['scores', (ctx) => interactions.currentScores(ctx, heavy)],
        ['empty tx', async () => undefined],
      ];
      for (const [name, fn] of parts) await time(`  part: ${name}`, () => inTx(fn));
    }
    await time('contact list, page of 50 with summaries', () =>
      inTx((ctx) => listContactsWithSummaries(ctx, { limit: 50 })),
    );
    // The same statements, captured from drizzle as the app builds them, replayed through the driver.
    const captured: { sql: string; params: unknown[] }[] = [];
    const logging = drizzle(sql, {
      logger: { logQuery: (q, p) => captured.push({ sql: q, params: p }) },
    }) as unknown as Tx;
    await listContactsWithSummaries({ tenantId: t, actor, tx: logging, requestId: 'bench' }, { limit: 50 });
    statements = captured.length;
    await time('contact list, same SQL direct', async () => {
      for (const c of captured) await sql.unsafe(c.sql, c.params as any[], { prepare: true });
    });
    await time('contact list, q=Person 4242 (trigram)', () =>
      inTx((ctx) => listContactsWithSummaries(ctx, { limit: 50, q: 'Person 4242' })),
    );
    await time('contact list, personaLabel=investor', () =>
      inTx((ctx) => listContactsWithSummaries(ctx, { limit: 50, personaLabel: 'investor' })),
    );
    await time('contact list without summaries (crm page only)', () =>
      inTx((ctx) => crm.listContacts(ctx, { limit: 50 })),
    );
    const plan = await sql.unsafe(
      `explain select id from people where tenant_id = $1 and (coalesce(full_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')) ilike '%Person 4242%' order by id desc limit 51`,
      [t],
    );
    log(plan.map((r: any) => r['QUERY PLAN']).join('\n'));
    await sql.end();
    return {
      people: PEOPLE,
      client360: results['client 360 (heavy person)'],
      contactList: results['contact list, page of 50 with summaries'],
      contactListDirect: results['contact list, same SQL direct'],
      statements,
    };
  } finally {
    await db.close();
    if (process.env.BENCH_KEEP) log(`kept ${bench.url}`);
    else await bench.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchCrm();
}
