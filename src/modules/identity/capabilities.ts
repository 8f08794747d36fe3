/** The fixed capability catalog (DESIGN §6). Roles are named sets of these, per tenant. */
export const CAPABILITIES = [
  'leads:read',
  'leads:write',
  'leads:assign',
  'leads:convert',
  'privacy:erase',
  'routing:decide',
  'assignments:read',
  'assignments:write',
  'installers:read',
  'installers:write',
  'installers:internal_notes',
  'regions:read',
  'regions:write',
  'followups:read',
  'followups:write',
  'crm:read',
  'crm:write',
  'campaigns:write',
  'imports:write',
  'imports:approve',
  'workflow:propose',
  'workflow:approve',
  'sensitive:read',
  'settings:write',
  'audit:read',
  'admin:users',
  'admin:api_keys',
  'admin:roles',
  'system:read',
] as const;
export type Capability = (typeof CAPABILITIES)[number];
export const isCapability = (c: string): c is Capability => (CAPABILITIES as readonly string[]).includes(c);

export type RoleScope = 'all' | 'team' | 'own' | 'installer';

export interface RoleDefinition {
  key: string;
  name: string;
  scope: RoleScope;
  capabilities: Capability[];
}

const all = [...CAPABILITIES];
const reads = CAPABILITIES.filter((c) => c.endsWith(':read') && c !== 'sensitive:read');

/** Roles every new tenant starts with. `owner` is built in and cannot be changed. */
export const DEFAULT_ROLES: RoleDefinition[] = [
  { key: 'owner', name: 'Owner', scope: 'all', capabilities: all },
  { key: 'admin', name: 'Administrator', scope: 'all', capabilities: all },
  {
    key: 'manager',
    name: 'Manager',
    scope: 'all',
    capabilities: all.filter((c) => !c.startsWith('admin:') && c !== 'settings:write'),
  },
  {
    key: 'agent',
    name: 'Agent',
    scope: 'own',
    capabilities: [
      'leads:read',
      'leads:write',
      'crm:read',
      'crm:write',
      'assignments:read',
      'installers:read',
      'regions:read',
      'followups:read',
      'workflow:propose',
    ],
  },
  { key: 'analyst', name: 'Analyst', scope: 'all', capabilities: reads },
  {
    key: 'installer-partner',
    name: 'Installer partner',
    scope: 'installer',
    capabilities: ['assignments:read', 'assignments:write', 'followups:read'],
  },
];

const SCOPE_BREADTH: Record<RoleScope, number> = { installer: 0, own: 1, team: 2, all: 3 };

/** A principal holding several roles gets the broadest record scope among them. */
export function broadestScope(scopes: RoleScope[]): RoleScope {
  let best: RoleScope = 'own';
  let seen = false;
  for (const s of scopes) {
    if (!seen || SCOPE_BREADTH[s] > SCOPE_BREADTH[best]) best = s;
    seen = true;
  }
  return best;
}
