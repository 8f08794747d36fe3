import { CAPABILITIES, createUser } from '../modules/identity/index.ts';
import * as leads from '../modules/leads/index.ts';
import type { Ctx } from '../platform/context.ts';
import { systemActor } from '../platform/context.ts';
import type { Database } from '../platform/db.ts';
import { randomToken } from '../platform/ids.ts';
import { seedCrm } from './demo-crm.ts';
import { seedMarketplace, walkAssignments } from './demo-marketplace.ts';
import { submitLead } from './intake.ts';
import { convertLead } from './lead-conversion.ts';
import { routeLead } from './lead-routing.ts';
import { provisionTenant } from './tenant-provisioning.ts';

const FIRST = [
  'Aoife',
  'Ciarán',
  'Niamh',
  'Seán',
  'Siobhán',
  'Darragh',
  'Orla',
  'Eoin',
  'Gráinne',
  'Pádraig',
  'Maeve',
  'Cian',
  'Róisín',
  'Tadhg',
  'Clodagh',
  'Oisín',
];
const LAST = [
  'Byrne',
  'Murphy',
  'Kelly',
  "O'Sullivan",
  'Walsh',
  'Ryan',
  "O'Brien",
  'Doyle',
  'McCarthy',
  'Gallagher',
  'Lynch',
  'Nolan',
  'Brennan',
  'Quinn',
];
const PLACES = [
  { city: 'Dublin', postcode: 'D02 X285' },
  { city: 'Dublin', postcode: 'D04 K7W2' },
  { city: 'Dublin', postcode: 'D6W Y2N8' },
  { city: 'Cork', postcode: 'T12 R2FX' },
  { city: 'Galway', postcode: 'H91 E2K3' },
  { city: 'Limerick', postcode: 'V94 T9PX' },
  { city: 'Kilkenny', postcode: 'R95 HX73' },
  { city: 'Waterford', postcode: 'X91 PR6E' },
];
const SERVICES = ['solar_pv', 'battery_storage', 'heat_pump', 'ev_charger'] as const;
const SOURCES = ['website', 'minisite', 'referral', 'partner', 'phone', 'campaign'] as const;
const PATHS = ['recommended', 'compare_quotes', 'undecided'] as const;
const ROOFS = ['pitched', 'flat', 'mixed'];

/** Status each demo lead ends in, with how many: every status of DESIGN §4 is present. */
const PLAN: [leads.LeadStatus, number][] = [
  ['new', 8],
  ['contacted', 6],
  ['nurturing', 4],
  ['qualified', 5],
  ['matched', 4],
  ['converted', 4],
  ['lost', 3],
  ['disqualified', 2],
];

const PATH_TO: Record<leads.LeadStatus, leads.LeadStatus[]> = {
  new: [],
  contacted: ['contacted'],
  nurturing: ['contacted', 'nurturing'],
  qualified: ['contacted', 'qualified'],
  matched: ['qualified'],
  converted: ['qualified'],
  lost: ['contacted', 'lost'],
  disqualified: ['disqualified'],
};

export async function seedDemo(db: Database, opts: { slug: string }) {
  const adminEmail = `owner@${opts.slug}.example`;
  const adminPassword = `demo-${randomToken(9)}`;
  const tenant = await provisionTenant(db, {
    slug: opts.slug,
    name: 'Sunrise Energy (demo)',
    adminEmail,
    adminPassword,
    adminName: 'Orla Nolan',
  });
  const tenantId = tenant.tenantId;
  const run = <T>(fn: (ctx: Ctx) => Promise<T>) =>
    db.tenantTx(tenantId, (tx) =>
      fn({ tenantId, tx, actor: { ...systemActor(CAPABILITIES), userId: tenant.adminUserId }, requestId: 'demo' }),
    );

  const agents = await run(async (ctx) => {
    await createUser(ctx, {
      email: `manager@${opts.slug}.example`,
      name: 'Declan Walsh',
      roles: ['manager'],
      password: adminPassword,
    });
    const a1 = await createUser(ctx, {
      email: `agent1@${opts.slug}.example`,
      name: 'Sinéad Kelly',
      roles: ['agent'],
      password: adminPassword,
    });
    const a2 = await createUser(ctx, {
      email: `agent2@${opts.slug}.example`,
      name: 'Conor Ryan',
      roles: ['agent'],
      password: adminPassword,
    });
    await createUser(ctx, {
      email: `analyst@${opts.slug}.example`,
      name: 'Fiona Quinn',
      roles: ['analyst'],
      password: adminPassword,
    });
    await leads.createQuestionSet(ctx, {
      version: '2026-10',
      activate: true,
      questions: [
        { key: 'roofType', type: 'choice', options: ROOFS, label: 'What kind of roof do you have?' },
        { key: 'monthlyBill', type: 'number', label: 'Average monthly electricity bill (EUR)' },
        { key: 'ownsHome', type: 'boolean', label: 'Do you own the home?' },
        { key: 'hasEv', type: 'boolean', label: 'Do you drive an electric car?' },
      ],
    });
    return [a1.id, a2.id];
  });
  const market = await run((ctx) => seedMarketplace(ctx));
  await run((ctx) =>
    createUser(ctx, {
      email: `crew@liffeysolar.example`,
      name: 'Liffey Solar crew',
      roles: ['installer-partner'],
      installerId: market.installerIds[0],
      password: adminPassword,
    }),
  );

  const byStatus: Record<string, number> = {};
  let n = 0;
  for (const [status, count] of PLAN) {
    for (let i = 0; i < count; i++, n++) {
      const first = FIRST[n % FIRST.length];
      const last = LAST[(n * 7) % LAST.length];
      // Routed leads sit in Dublin, where several installers take solar leads.
      const place = status === 'matched' ? PLACES[0] : PLACES[n % PLACES.length];
      const service = status === 'matched' ? 'solar_pv' : SERVICES[n % SERVICES.length];
      const sizeKw = Math.round((3 + (n % 6) * 0.8) * 10) / 10;
      const result = await submitLead(db, {
        tenantId,
        actor: { ...systemActor(), userId: null },
        requestId: 'demo',
        meta: { channel: 'public', clientIp: '127.0.0.1', userAgent: 'helio-demo' },
        input: {
          contact: {
            name: `${first} ${last}`,
            email: `${first}.${last}.${n}@example.ie`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
            phone: `+353 8${[3, 5, 6, 7, 9][n % 5]} ${String(2000000 + n * 7919).slice(0, 7)}`,
            postcode: place.postcode,
            locale: 'en-IE',
            address: {
              line1: `${10 + n} ${['Main St', 'Church Rd', 'Strand Rd', 'Park Ave'][n % 4]}`,
              city: place.city,
              country: 'IE',
            },
          },
          source: SOURCES[n % SOURCES.length],
          sourceDetail: n % 3 === 0 ? 'spring-campaign' : undefined,
          service,
          selectedPath: PATHS[n % PATHS.length],
          contactPreferences: {
            channels: n % 2 ? ['email'] : ['email', 'phone'],
            bestTime: n % 2 ? 'evening' : 'morning',
          },
          consent: { terms: true, marketing: n % 3 === 0 },
          assessment: {
            questionSetVersion: '2026-10',
            answers: { roofType: ROOFS[n % 3], monthlyBill: 90 + (n % 9) * 20, ownsHome: true, hasEv: n % 4 === 0 },
          },
          recommendation: {
            engineVersion: '1.4.0',
            products: [
              {
                kind: service,
                ...(service === 'solar_pv' ? { sizeKw } : {}),
                ...(service === 'battery_storage' ? { capacityKwh: 10 } : {}),
              },
            ],
            estimatedAnnualSavings: { amount: 60000 + (n % 10) * 5000, currency: 'EUR' },
            estimatedCost: { amount: 650000 + (n % 8) * 50000, currency: 'EUR' },
            paybackYears: 7 + (n % 5),
          },
        },
      });
      await run(async (ctx) => {
        const agent = agents[n % agents.length];
        await leads.assignLead(ctx, result.leadId, agent);
        for (const to of PATH_TO[status]) {
          await leads.transitionLead(ctx, result.leadId, to, to === 'lost' ? 'chose another provider' : undefined);
        }
        if (status === 'matched') await routeLead(ctx, result.leadId, {});
        if (status === 'converted') await convertLead(ctx, result.leadId);
        if (status === 'disqualified') {
          /* already disqualified above */
        }
      });
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
  }
  // Marketplace leads: one per assignment state, twice over, each reached through the real lifecycle.
  const walkLeads: string[] = [];
  for (let i = 0; i < 20; i++, n++) {
    const first = FIRST[(n * 3) % FIRST.length];
    const last = LAST[(n * 5) % LAST.length];
    const r = await submitLead(db, {
      tenantId,
      actor: { ...systemActor(), userId: null },
      requestId: 'demo',
      meta: { channel: 'public', clientIp: '127.0.0.1', userAgent: 'helio-demo' },
      input: {
        contact: {
          name: `${first} ${last}`,
          email: `${first}.${last}.m${i}@example.ie`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
          postcode: i % 2 ? 'D04 K7W2' : 'D02 X285',
          address: { line1: `${20 + i} Pembroke Rd`, city: 'Dublin', country: 'IE' },
        },
        source: 'partner',
        service: 'solar_pv',
        selectedPath: 'recommended',
        consent: { terms: true },
        recommendation: { engineVersion: '1.4.0', products: [{ kind: 'solar_pv', sizeKw: 4 + (i % 4) }] },
      },
    });
    walkLeads.push(r.leadId);
  }
  const assignmentStates = await run((ctx) => walkAssignments(ctx, walkLeads));
  const crmData = await run((ctx) => seedCrm(ctx, agents));
  return {
    slug: opts.slug,
    adminEmail,
    adminPassword,
    apiKey: tenant.apiKey,
    leadCount: n,
    byStatus,
    regions: market.regionIds.size,
    installers: market.installerIds.length,
    assignmentStates,
    crm: crmData,
  };
}
