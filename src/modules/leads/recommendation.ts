import type { IntakeInput } from './contracts.ts';

/**
 * The first estimate the form shows a homeowner before they send it, and stores with the lead as its
 * recommendation snapshot. Deliberately simple and explainable: sizes and prices are rules of thumb from
 * the monthly bill (when the question set asks for one), labelled as an estimate everywhere it is shown.
 */

export const ENGINE_VERSION = 'apply-form/1';

export const SERVICES = [
  { code: 'solar_pv', label: 'Solar panels' },
  { code: 'battery_storage', label: 'Home battery' },
  { code: 'heat_pump', label: 'Heat pump' },
  { code: 'ev_charger', label: 'Electric car charger' },
] as const;
export type ServiceCode = (typeof SERVICES)[number]['code'];
export const isService = (s: unknown): s is ServiceCode => SERVICES.some((x) => x.code === s);

type Recommendation = NonNullable<IntakeInput['recommendation']>;
type Product = NonNullable<Recommendation['products']>[number];
type Answers = Record<string, string | number | boolean | string[] | null>;

const CURRENCY: Record<string, { code: string; pricePerKwh: number }> = {
  GB: { code: 'GBP', pricePerKwh: 0.27 },
  US: { code: 'USD', pricePerKwh: 0.17 },
};
const EURO = { code: 'EUR', pricePerKwh: 0.35 };
const DEFAULT_MONTHLY_BILL = 150;
/** kWh a kW of panels makes in a year at these latitudes, and the share of it the home uses or sells. */
const YIELD_KWH_PER_KW = 900;
const GRID_KG_CO2_PER_KWH = 0.3;

const round1 = (n: number) => Math.round(n * 10) / 10;
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/** The monthly bill if the assessment asks for it (any numeric answer whose key names a bill). */
function monthlyBill(answers: Answers): number {
  for (const [key, value] of Object.entries(answers)) {
    if (/bill/i.test(key) && typeof value === 'number' && value > 0 && value < 100_000) return value;
  }
  return DEFAULT_MONTHLY_BILL;
}

export function recommend(service: ServiceCode, answers: Answers, country: string): Recommendation {
  const money = CURRENCY[country.toUpperCase()] ?? EURO;
  const bill = monthlyBill(answers);
  const annualKwh = (bill * 12) / money.pricePerKwh;
  let product: Product;
  let cost: number;
  let savings: number;
  let co2: number;
  switch (service) {
    case 'solar_pv': {
      const sizeKw = round1(clamp((annualKwh * 0.7) / YIELD_KWH_PER_KW, 2, 12));
      const kwh = sizeKw * YIELD_KWH_PER_KW;
      product = { kind: service, sizeKw };
      cost = sizeKw * 1600;
      savings = kwh * money.pricePerKwh * 0.8;
      co2 = kwh * GRID_KG_CO2_PER_KWH;
      break;
    }
    case 'battery_storage': {
      const capacityKwh = Math.round(clamp(annualKwh / 365 / 2, 5, 15));
      product = { kind: service, capacityKwh };
      cost = capacityKwh * 700;
      savings = capacityKwh * 250 * money.pricePerKwh * 0.6;
      co2 = capacityKwh * 250 * GRID_KG_CO2_PER_KWH * 0.3;
      break;
    }
    case 'heat_pump': {
      const sizeKw = round1(clamp(annualKwh / 1000, 5, 16));
      product = { kind: service, sizeKw };
      cost = 11_000 + sizeKw * 300;
      savings = bill * 12 * 0.3;
      co2 = 2500;
      break;
    }
    case 'ev_charger':
      product = { kind: service, sizeKw: 7.4, quantity: 1 };
      cost = 1100;
      savings = 350;
      co2 = 800;
      break;
  }
  const paybackYears = round1(clamp(cost / Math.max(savings, 1), 0, 100));
  const fmt = (n: number) => `${money.code} ${Math.round(n).toLocaleString('en-IE')}`;
  return {
    engineVersion: ENGINE_VERSION,
    generatedAt: new Date().toISOString(),
    summary:
      `${describeProduct(product)}: about ${fmt(cost)} installed, saving about ${fmt(savings)} a year ` +
      `(pays for itself in about ${paybackYears} years). A first estimate; your installer confirms it after a survey.`,
    products: [product],
    estimatedCost: { amount: Math.round(cost) * 100, currency: money.code },
    estimatedAnnualSavings: { amount: Math.round(savings) * 100, currency: money.code },
    paybackYears,
    co2SavedKgPerYear: Math.round(co2),
  };
}

export function describeProduct(p: { kind: string; sizeKw?: number; capacityKwh?: number }): string {
  switch (p.kind) {
    case 'solar_pv':
      return `A ${p.sizeKw} kW solar panel system`;
    case 'battery_storage':
      return `A ${p.capacityKwh} kWh home battery`;
    case 'heat_pump':
      return `A ${p.sizeKw} kW air-to-water heat pump`;
    case 'ev_charger':
      return `A ${p.sizeKw} kW home charger for an electric car`;
    default:
      return p.kind;
  }
}
