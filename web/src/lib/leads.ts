import type { Body } from '../api/client';

export type Lead = Body<'/api/leads/{id}', 'get'>;
export type LeadStatus = Lead['status'];
export type LeadSource = Lead['source'];

export const LEAD_STATUSES: LeadStatus[] = [
  'new',
  'contacted',
  'nurturing',
  'qualified',
  'matched',
  'converted',
  'lost',
  'disqualified',
];
export const LEAD_SOURCES: LeadSource[] = [
  'website',
  'minisite',
  'referral',
  'partner',
  'import',
  'api',
  'phone',
  'walk_in',
  'campaign',
  'waitlist',
];

/**
 * The transitions staff request directly (DESIGN §4). `matched` is entered only by routing and
 * `converted` only by conversion, so neither is offered here.
 */
export const MANUAL_TRANSITIONS: Record<LeadStatus, LeadStatus[]> = {
  new: ['contacted', 'qualified', 'lost', 'disqualified'],
  contacted: ['nurturing', 'qualified', 'lost', 'disqualified'],
  nurturing: ['contacted', 'qualified', 'lost'],
  qualified: ['nurturing', 'lost'],
  matched: ['qualified', 'lost'],
  lost: ['new'],
  converted: [],
  disqualified: [],
};
