import { describe, expect, it } from 'vitest';
import { normalizePattern, normalizePostcode } from './postcodes.ts';

describe('postcode normalizers', () => {
  it('reads Eircodes to their routing key', () => {
    expect(normalizePostcode('IE', 'd02 x285')).toEqual({
      normalized: 'D02X285',
      valid: true,
      keys: ['D02X285', 'D02'],
    });
    expect(normalizePostcode('IE', 'D6W Y2N8').keys).toEqual(['D6WY2N8', 'D6W']);
    expect(normalizePostcode('IE', 'B12 3456').valid).toBe(false);
  });

  it('reads UK postcodes to sector, outward code and area without confusing E1 and E14', () => {
    expect(normalizePostcode('GB', 'E14 2AA').keys).toEqual(['E142AA', 'E142', 'E14', 'E']);
    expect(normalizePostcode('GB', 'sw1a 1aa').keys).toEqual(['SW1A1AA', 'SW1A1', 'SW1A', 'SW']);
    expect(normalizePostcode('GB', 'E14 2AA').keys).not.toContain('E1');
    expect(normalizePostcode('GB', 'not a postcode').valid).toBe(false);
  });

  it('reads US ZIP and ZIP+4 to ZIP prefixes', () => {
    expect(normalizePostcode('US', '94105-1234').keys).toEqual(['94105', '9410', '941', '94', '9']);
    expect(normalizePostcode('US', '9410').valid).toBe(false);
  });

  it('normalizes patterns and rejects ones that can never match', () => {
    expect(normalizePattern('IE', 'd02')).toEqual({ pattern: 'D02', valid: true });
    expect(normalizePattern('GB', 'sw1a')).toEqual({ pattern: 'SW1A', valid: true });
    expect(normalizePattern('US', '941')).toEqual({ pattern: '941', valid: true });
    expect(normalizePattern('US', 'ABC').valid).toBe(false);
    expect(normalizePattern('IE', '$$').valid).toBe(false);
  });
});
