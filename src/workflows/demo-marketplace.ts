import * as followUps from '../modules/follow-ups/index.ts';
import * as installers from '../modules/installers/index.ts';
import * as regions from '../modules/regions/index.ts';
import type { AssignmentAction } from '../modules/routing/index.ts';
import type { Ctx } from '../platform/context.ts';
import { actOnAssignment } from './assignment-lifecycle.ts';
import { routeLead } from './lead-routing.ts';

/** Irish regions with their Eircode routing keys (real ones). */
const REGIONS = [
  {
    code: 'dublin-south',
    name: 'Dublin South',
    patterns: ['D02', 'D04', 'D06', 'D6W', 'D08', 'D12', 'D14', 'D16', 'D18', 'D24'],
  },
  {
    code: 'dublin-north',
    name: 'Dublin North',
    patterns: ['D01', 'D03', 'D05', 'D07', 'D09', 'D11', 'D13', 'D15', 'D17'],
  },
  { code: 'cork', name: 'Cork', patterns: ['T12', 'T23', 'T34', 'T45', 'T56', 'P31', 'P43'] },
  { code: 'galway', name: 'Galway', patterns: ['H91', 'H54', 'H62'] },
  { code: 'mid-west', name: 'Limerick and Clare', patterns: ['V94', 'V35', 'V95', 'V14'] },
  { code: 'south-east', name: 'Kilkenny and Waterford', patterns: ['R95', 'X91', 'X35', 'E32'] },
  { code: 'north-west', name: 'Donegal (not yet served)', patterns: ['F92', 'F93', 'F94'], active: false },
];

type Status = 'onboarding' | 'active' | 'paused' | 'suspended' | 'offboarded';
const INSTALLERS: {
  name: string;
  status: Status;
  services: string[];
  quality: number;
  regions: string[];
  daily?: number;
  priority: number;
}[] = [
  {
    name: 'Liffey Solar Ltd',
    status: 'active',
    services: ['solar_pv', 'battery_storage'],
    quality: 92,
    regions: ['dublin-south', 'dublin-north'],
    daily: 20,
    priority: 10,
  },
  {
    name: 'Grand Canal Energy',
    status: 'active',
    services: ['solar_pv', 'battery_storage', 'ev_charger'],
    quality: 84,
    regions: ['dublin-south'],
    daily: 15,
    priority: 20,
  },
  {
    name: 'Northside Renewables',
    status: 'active',
    services: ['solar_pv', 'heat_pump'],
    quality: 78,
    regions: ['dublin-north', 'dublin-south'],
    priority: 30,
  },
  {
    name: 'Rebel Solar Cork',
    status: 'active',
    services: ['solar_pv', 'battery_storage', 'heat_pump', 'ev_charger'],
    quality: 88,
    regions: ['cork'],
    priority: 10,
  },
  {
    name: 'Atlantic Heat Pumps',
    status: 'active',
    services: ['heat_pump'],
    quality: 81,
    regions: ['galway', 'mid-west'],
    priority: 15,
  },
  {
    name: 'Shannon Sun',
    status: 'active',
    services: ['solar_pv', 'ev_charger'],
    quality: 73,
    regions: ['mid-west', 'galway'],
    priority: 25,
  },
  {
    name: 'Marble City Solar',
    status: 'active',
    services: ['solar_pv', 'battery_storage', 'heat_pump', 'ev_charger'],
    quality: 86,
    regions: ['south-east', 'dublin-south'],
    priority: 20,
  },
  {
    name: 'Corrib Energy (onboarding)',
    status: 'onboarding',
    services: ['solar_pv'],
    quality: 50,
    regions: ['galway'],
    priority: 50,
  },
  {
    name: 'Harbour Electrical',
    status: 'paused',
    services: ['ev_charger', 'solar_pv'],
    quality: 70,
    regions: ['cork', 'dublin-south'],
    priority: 40,
  },
  { name: 'Midlands PV', status: 'paused', services: ['solar_pv'], quality: 65, regions: ['mid-west'], priority: 60 },
  {
    name: 'QuickFit Solar',
    status: 'suspended',
    services: ['solar_pv'],
    quality: 31,
    regions: ['dublin-south'],
    priority: 90,
  },
  {
    name: 'Old Sun Installations',
    status: 'offboarded',
    services: ['solar_pv'],
    quality: 40,
    regions: ['south-east'],
    priority: 99,
  },
];

/** Lifecycle path from `active` to each status. */
const STATUS_PATH: Record<Status, Status[]> = {
  onboarding: [],
  active: ['active'],
  paused: ['active', 'paused'],
  suspended: ['active', 'suspended'],
  offboarded: ['offboarded'],
};

export async function seedMarketplace(ctx: Ctx) {
  const regionIds = new Map<string, string>();
  for (const r of REGIONS) {
    const region = await regions.createRegion(ctx, {
      code: r.code,
      name: r.name,
      country: 'IE',
      active: r.active ?? true,
    });
    await regions.replacePostcodes(ctx, region.id, { country: 'IE', patterns: r.patterns });
    regionIds.set(r.code, region.id);
  }
  const installerIds: string[] = [];
  for (const [i, def] of INSTALLERS.entries()) {
    const slug = def.name.toLowerCase().replace(/[^a-z]+/g, '');
    const created = await installers.createInstaller(ctx, {
      name: def.name,
      legalName: `${def.name.replace(/ \(.*\)$/, '')}`,
      companyNumber: String(600000 + i * 1371),
      website: `https://${slug}.example`,
      email: `leads@${slug}.example`,
      services: def.services,
      qualityScore: def.quality,
      priority: def.priority,
      capacity: { daily: def.daily ?? 10, weekly: (def.daily ?? 10) * 5, monthly: (def.daily ?? 10) * 18 },
    });
    for (const status of STATUS_PATH[def.status]) {
      const current = await installers.getInstallerRow(ctx, created.id);
      await installers.patchInstaller(ctx, created.id, current.version, { status });
    }
    await installers.replaceCoverage(
      ctx,
      created.id,
      def.regions.map((c) => regionIds.get(c)!),
    );
    await installers.addContact(ctx, created.id, {
      name: `Ops desk, ${def.name}`,
      email: `ops@${slug}.example`,
      role: 'operations',
      isPrimary: true,
      receivesLeadNotifications: true,
    });
    await installers.addNote(ctx, created.id, {
      kind: 'quality',
      body: `Quality review: score ${def.quality}/100.`,
    });
    if (def.status === 'suspended') {
      await installers.addNote(ctx, created.id, {
        kind: 'internal',
        body: 'Suspended after two unresolved customer complaints.',
      });
    }
    installerIds.push(created.id);
  }
  return { regionIds, installerIds };
}

/** Each assignment state, reached by the real lifecycle (offers made days ago where an expiry is needed). */
const ASSIGNMENT_PATHS: Record<string, AssignmentAction[]> = {
  offered: [],
  accepted: ['accept'],
  declined: ['decline'],
  expired: ['expire'],
  contacted: ['accept', 'contact'],
  quoted: ['accept', 'contact', 'quote'],
  won: ['accept', 'contact', 'quote', 'win'],
  lost: ['accept', 'contact', 'quote', 'lose'],
  install_scheduled: ['accept', 'contact', 'quote', 'win', 'schedule-install'],
  installed: ['accept', 'contact', 'quote', 'win', 'schedule-install', 'confirm-install'],
};

export async function walkAssignments(ctx: Ctx, leadIds: string[]) {
  const states = Object.keys(ASSIGNMENT_PATHS);
  const reached: Record<string, number> = {};
  for (const [i, leadId] of leadIds.entries()) {
    const state = states[i % states.length];
    const past = state === 'expired' ? new Date(Date.now() - 3 * 86_400_000) : undefined;
    const routed = await routeLead(ctx, leadId, { mode: 'recommended' }, 'staff', past);
    const a = routed.assignments[0];
    if (!a) continue;
    for (const action of ASSIGNMENT_PATHS[state]) {
      await actOnAssignment(ctx, a.id, action, {
        ...(action === 'quote' ? { quote: { amount: 650000 + i * 25000, currency: 'EUR' } } : {}),
        ...(action === 'schedule-install'
          ? { scheduledFor: new Date(Date.now() + 14 * 86_400_000).toISOString() }
          : {}),
      });
    }
    if (state === 'installed') {
      // The homeowner answered the survey: one happy, one with an escalated issue.
      const [fu] = await followUps.followUpsForLead(ctx, leadId);
      if (fu) {
        await followUps.recordOutcome(
          ctx,
          fu.id,
          undefined,
          reached.installed
            ? {
                satisfactionScore: 2,
                nps: 3,
                hasIssue: true,
                issueCategory: 'inverter',
                issueSeverity: 'high',
                notes: 'Inverter fault light after a week.',
              }
            : { satisfactionScore: 5, nps: 9, notes: 'Tidy install, crew explained the app.' },
        );
      }
    }
    reached[state] = (reached[state] ?? 0) + 1;
  }
  return reached;
}
