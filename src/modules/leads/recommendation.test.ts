import { describe, expect, it } from 'vitest';
import { describeProduct, recommend } from './recommendation.ts';

/** The form's first estimate: explainable rules of thumb, in the tenant's currency, labelled as an estimate. */

describe('recommendation', () => {
  it('sizes from the monthly bill and is labelled as an estimate', () => {
    const r = recommend('solar_pv', { monthlyBill: 180 }, 'IE');
    expect(r.products?.[0]).toMatchObject({ kind: 'solar_pv' });
    expect(r.products?.[0].sizeKw).toBeGreaterThan(2);
    expect(r.estimatedCost?.currency).toBe('EUR');
    expect(r.summary).toMatch(/first estimate/);
    expect(recommend('heat_pump', {}, 'GB').estimatedAnnualSavings?.currency).toBe('GBP');
  });
});

describe('product description', () => {
  it('names the size the estimate chose', () => {
    expect(describeProduct({ kind: 'solar_pv', sizeKw: 4.2 })).toMatch(/4\.2/);
  });
});
