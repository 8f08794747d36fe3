import * as crm from '../modules/crm/index.ts';
import * as interactions from '../modules/interactions/index.ts';
import type { Ctx } from '../platform/context.ts';

const DAY = 86_400_000;
const iso = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString();

const HOUSEHOLDS = [
  { last: 'Fitzgerald', adults: ['Maura', 'Donal'], city: 'Dublin', line1: '14 Ailesbury Rd', postcode: 'D04 Y2K6' },
  { last: 'Keane', adults: ['Siobhán', 'Ruairí'], city: 'Cork', line1: '3 Sunday’s Well Rd', postcode: 'T23 X4P8' },
  { last: 'Moran', adults: ['Ailbhe', 'Cathal'], city: 'Galway', line1: '27 Taylor’s Hill', postcode: 'H91 K2T3' },
  { last: 'Duffy', adults: ['Nora', 'Fiachra'], city: 'Kilkenny', line1: '9 Patrick St', postcode: 'R95 N3F4' },
];
const DELIVERY_STAGES = ['design', 'permitting', 'installation', 'inspection', 'grid_connection', 'complete'];
const SALES_STAGES = ['new', 'site_survey', 'proposal', 'contract_signed', 'lost'];

/**
 * The CRM side of the demo (issue 4): households with two adults, a company with two sites, projects
 * at every delivery stage, opportunities at every sales stage, tasks, interactions and scores.
 */
export async function seedCrm(ctx: Ctx, agents: string[]) {
  const projects: string[] = [];
  const people: string[] = [];
  for (const [h, house] of HOUSEHOLDS.entries()) {
    const address = { line1: house.line1, city: house.city, postcode: house.postcode, country: 'IE' };
    const adults = [];
    for (const first of house.adults) {
      adults.push(
        await crm.createContact(ctx, {
          fullName: `${first} ${house.last}`,
          firstName: first,
          lastName: house.last,
          email: `${first}.${house.last}@example.ie`.toLowerCase().replace(/[^a-z.@]/g, ''),
          address,
          personaLabels: ['homeowner'],
        }),
      );
    }
    const account = await crm.createAccount(ctx, {
      name: `${house.last} household`,
      type: 'household',
      billingAddress: address,
      primaryContactId: adults[0].id,
    });
    await crm.addMember(ctx, account.id, { personId: adults[1].id, role: 'owner' });
    await crm.createRelationship(ctx, { fromPersonId: adults[0].id, toPersonId: adults[1].id, kind: 'spouse' });
    people.push(...adults.map((a) => a.id));
    for (const stage of DELIVERY_STAGES.filter((_, i) => i % HOUSEHOLDS.length === h)) {
      const p = await crm.createProject(ctx, {
        name: `${house.last} rooftop solar`,
        type: 'solar_installation',
        accountId: account.id,
        stage,
        siteAddress: address,
        primaryContactId: adults[0].id,
        systemSizeKw: 4 + h,
        contractValue: { amount: 780_000 + h * 60_000, currency: 'EUR' },
        consultantUserId: agents[h % agents.length],
      });
      projects.push(p.id);
    }
  }

  // A company with two sites, each its own project; facilities manager and finance contact.
  const facilities = await crm.createContact(ctx, {
    fullName: 'Gráinne Brennan',
    email: 'grainne.brennan@brennanlogistics.example',
    phone: '+353 1 555 0142',
    personaLabels: ['facilities_manager', 'decision_maker'],
  });
  const finance = await crm.createContact(ctx, {
    fullName: 'Colm Whelan',
    email: 'accounts@brennanlogistics.example',
    personaLabels: ['billing'],
  });
  const company = await crm.createAccount(ctx, {
    name: 'Brennan Logistics Ltd',
    type: 'company',
    billingAddress: {
      line1: 'Unit 4, Ballymount Industrial Estate',
      city: 'Dublin',
      postcode: 'D24 P2W7',
      country: 'IE',
    },
    primaryContactId: facilities.id,
    metadata: { industry: 'logistics', employees: 140 },
  });
  await crm.addMember(ctx, company.id, { personId: finance.id, role: 'employee', isBillingContact: true });
  const sites = [
    {
      name: 'Brennan HQ solar',
      stage: 'installation',
      address: { line1: 'Ballymount Rd Upper', city: 'Dublin', postcode: 'D24 P2W7', country: 'IE' },
    },
    {
      name: 'Brennan warehouse solar',
      stage: 'design',
      address: { line1: 'Little Island', city: 'Cork', postcode: 'T45 X9P2', country: 'IE' },
    },
  ];
  for (const site of sites) {
    const p = await crm.createProject(ctx, {
      name: site.name,
      type: 'solar_installation',
      accountId: company.id,
      stage: site.stage,
      siteAddress: site.address,
      primaryContactId: facilities.id,
      systemSizeKw: 99,
      contractValue: { amount: 9_800_000, currency: 'EUR' },
      consultantUserId: agents[0],
    });
    projects.push(p.id);
  }

  // Opportunities at every sales stage, with tasks and a timeline for each person.
  for (const [i, stage] of SALES_STAGES.entries()) {
    const personId = people[i % people.length];
    const o = await crm.createOpportunity(ctx, {
      name: `Battery upgrade ${i + 1}`,
      personId,
      stage,
      value: { amount: 450_000 + i * 50_000, currency: 'EUR' },
      expectedCloseDate: iso(30 + i * 7).slice(0, 10),
      nextAction: stage === 'proposal' ? 'Send revised quote' : undefined,
      ownerUserId: agents[i % agents.length],
    });
    await crm.createTask(ctx, {
      title: `Follow up on ${o.name}`,
      type: 'follow_up',
      dueAt: iso(i % 2 ? 2 : -1),
      assigneeUserId: agents[i % agents.length],
      opportunityId: o.id,
      personId,
    });
  }
  for (const [i, personId] of people.entries()) {
    await interactions.recordInteraction(ctx, {
      personId,
      channel: i % 2 ? 'phone' : 'email',
      type: i % 2 ? 'call' : 'email_sent',
      direction: 'outbound',
      happenedAt: iso(-(i + 1)),
      summary: i % 2 ? 'Discussed battery sizing and the grant.' : 'Sent the proposal and the SEAI grant guide.',
    });
    await interactions.recordScore(ctx, personId, {
      scoreType: 'intent',
      value: 40 + ((i * 13) % 60),
      signalSource: 'demo',
    });
  }
  return { households: HOUSEHOLDS.length, companies: 1, projects: projects.length, people: people.length + 2 };
}
