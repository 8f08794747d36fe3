import type { Body } from '../../api/client';

export type Assignment = Body<'/api/assignments/{id}', 'get'>;
export type AssignmentStatus = Assignment['status'];
export type AssignmentAction =
  | 'accept'
  | 'decline'
  | 'contact'
  | 'quote'
  | 'win'
  | 'lose'
  | 'schedule-install'
  | 'confirm-install';

export const ASSIGNMENT_STATUSES: AssignmentStatus[] = [
  'offered',
  'accepted',
  'contacted',
  'quoted',
  'won',
  'install_scheduled',
  'installed',
  'declined',
  'expired',
  'lost',
];

/** What an installer can do next from each state (the server enforces the same table). */
export const NEXT_ACTIONS: Record<AssignmentStatus, AssignmentAction[]> = {
  offered: ['accept', 'decline'],
  accepted: ['contact', 'lose'],
  contacted: ['quote', 'lose'],
  quoted: ['win', 'lose'],
  won: ['schedule-install'],
  install_scheduled: ['confirm-install'],
  installed: [],
  declined: [],
  expired: [],
  lost: [],
};

export const ACTION_LABELS: Record<AssignmentAction, string> = {
  accept: 'Accept the lead',
  decline: 'Decline',
  contact: 'Mark homeowner contacted',
  quote: 'Send quote',
  win: 'Mark won',
  lose: 'Mark lost',
  'schedule-install': 'Schedule install',
  'confirm-install': 'Confirm install',
};
