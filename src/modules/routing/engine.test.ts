import { describe, expect, it } from 'vitest';
import { decide, type EngineCandidate } from './engine.ts';

const inst = (id: string, over: Partial<EngineCandidate['installer']> = {}): EngineCandidate['installer'] => ({
  id,
  name: id,
  status: 'active',
  services: ['solar_pv'],
  capacity: { daily: null, weekly: null, monthly: null },
  priority: 100,
  qualityScore: 50,
  ...over,
});
const cand = (
  id: string,
  over: Partial<EngineCandidate> = {},
  io: Partial<EngineCandidate['installer']> = {},
): EngineCandidate => ({
  installer: inst(id, io),
  covers: true,
  alreadyAssigned: false,
  consented: true,
  usage: { day: 0, week: 0, month: 0 },
  lastAssignedAt: null,
  satisfaction: null,
  winRate: null,
  ...over,
});

describe('routing engine', () => {
  it('drops every ineligible candidate with its reason', () => {
    const out = decide({
      mode: 'compare_quotes',
      strategy: 'weighted',
      slots: 3,
      service: 'solar_pv',
      candidates: [
        cand('a', {}, { status: 'paused' }),
        cand('b', { covers: false }),
        cand('c', {}, { services: ['heat_pump'] }),
        cand('d', { consented: false }),
        cand('e', { alreadyAssigned: true }),
        cand('f', { usage: { day: 2, week: 2, month: 2 } }, { capacity: { daily: 2, weekly: null, monthly: null } }),
        cand('g'),
      ],
    });
    const reasons = Object.fromEntries(out.map((c) => [c.installerId, c.reason ?? 'selected']));
    expect(reasons).toEqual({
      a: 'inactive',
      b: 'no_coverage',
      c: 'service_not_offered',
      d: 'no_consent',
      e: 'already_assigned',
      f: 'cap_reached',
      g: 'selected',
    });
  });

  it('weighted: quality, satisfaction, win rate and remaining capacity decide; ties break on id', () => {
    const out = decide({
      mode: 'compare_quotes',
      strategy: 'weighted',
      slots: 2,
      service: 'solar_pv',
      candidates: [
        cand('low', {}, { qualityScore: 20 }),
        cand('high', { satisfaction: 5, winRate: 0.9 }, { qualityScore: 95 }),
        cand('mid', {}, { qualityScore: 60 }),
      ],
    });
    expect(out.filter((c) => c.selected).map((c) => c.installerId)).toEqual(['high', 'mid']);
    expect(out.find((c) => c.installerId === 'low')).toMatchObject({ selected: false, reason: 'not_selected' });
    expect(out[0].factors).toMatchObject({ quality: 0.95, satisfaction: 1, winRate: 0.9, remainingCapacity: 1 });
  });

  it('round robin picks whoever waited longest; priority picks the lowest number', () => {
    const candidates = [
      cand('x', { lastAssignedAt: 3000 }, { priority: 1 }),
      cand('y', { lastAssignedAt: 1000 }, { priority: 5 }),
      cand('z', { lastAssignedAt: 2000 }, { priority: 3 }),
    ];
    const rr = decide({ mode: 'recommended', strategy: 'round_robin', slots: 1, service: null, candidates });
    expect(rr.find((c) => c.selected)?.installerId).toBe('y');
    const pr = decide({ mode: 'recommended', strategy: 'priority', slots: 1, service: null, candidates });
    expect(pr.find((c) => c.selected)?.installerId).toBe('x');
  });

  it('is deterministic: the same state in any order gives the same decision', () => {
    const cs = Array.from({ length: 30 }, (_, i) =>
      cand(`i${String(i).padStart(2, '0')}`, {}, { qualityScore: (i * 37) % 100 }),
    );
    const a = decide({ mode: 'compare_quotes', strategy: 'weighted', slots: 3, service: null, candidates: cs });
    const b = decide({
      mode: 'compare_quotes',
      strategy: 'weighted',
      slots: 3,
      service: null,
      candidates: [...cs].reverse(),
    });
    expect(b).toEqual(a);
  });
});
