import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../../test/helpers.ts';
import { type Database, rows } from '../platform/db.ts';
import { seedDemo } from './demo.ts';
import { ensurePlatformTenant } from './tenant-provisioning.ts';

let db: Database & { drop(): Promise<void> };
beforeAll(async () => {
  db = await createTestDb();
  await ensurePlatformTenant(db);
});
afterAll(async () => db?.drop());

describe('helio demo', () => {
  it('fills a tenant with leads in every status, installers in every status and assignments in every state', async () => {
    const demo = await seedDemo(db, { slug: 'demo' });
    const count = (q: ReturnType<typeof sql>) => rows<{ v: string; n: number }>(db.db, q);
    const leadStatuses = await count(
      sql`select l.status as v, count(*)::int as n from leads l join tenants t on t.id = l.tenant_id where t.slug = 'demo' group by 1`,
    );
    expect(leadStatuses.map((r) => r.v).sort()).toEqual(
      ['contacted', 'converted', 'disqualified', 'lost', 'matched', 'new', 'nurturing', 'qualified'].sort(),
    );
    const installerStatuses = await count(sql`select status as v, count(*)::int as n from installers group by 1`);
    expect(installerStatuses.map((r) => r.v).sort()).toEqual([
      'active',
      'offboarded',
      'onboarding',
      'paused',
      'suspended',
    ]);
    const assignmentStates = await count(sql`select status as v, count(*)::int as n from lead_assignments group by 1`);
    expect(assignmentStates.map((r) => r.v).sort()).toEqual(
      [
        'accepted',
        'contacted',
        'declined',
        'expired',
        'install_scheduled',
        'installed',
        'lost',
        'offered',
        'quoted',
        'won',
      ].sort(),
    );
    const followUps = await count(sql`select status as v, count(*)::int as n from follow_ups group by 1`);
    expect(followUps.map((r) => r.v).sort()).toEqual(['escalated', 'responded']);
    const projectStages = await count(
      sql`select stage as v, count(*)::int as n from projects p join tenants t on t.id = p.tenant_id where t.slug = 'demo' group by 1`,
    );
    expect(projectStages.map((r) => r.v).sort()).toEqual([
      'complete',
      'design',
      'grid_connection',
      'inspection',
      'installation',
      'permitting',
    ]);
    const households = await count(
      sql`select a.id as v, count(m.person_id)::int as n from accounts a join account_members m on m.tenant_id = a.tenant_id and m.account_id = a.id where a.type = 'household' group by 1`,
    );
    expect(households.filter((h) => h.n >= 2).length).toBeGreaterThanOrEqual(4);
    const companySites = await count(
      sql`select a.id as v, count(p.id)::int as n from accounts a join projects p on p.tenant_id = a.tenant_id and p.account_id = a.id where a.type = 'company' group by 1`,
    );
    expect(companySites.some((c) => c.n === 2)).toBe(true);
    expect(demo.apiKey).toMatch(/^hk_/);
  });
});
