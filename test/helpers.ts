import { readFileSync } from 'node:fs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { inject } from 'vitest';
import { type AppConfig, buildApp } from '../src/app.ts';
import { type Database, openDatabase } from '../src/platform/db.ts';
import { randomToken } from '../src/platform/ids.ts';
import { ensurePlatformTenant, provisionTenant } from '../src/workflows/tenant-provisioning.ts';
import { withDatabase } from './global-setup.ts';

export const usingPostgres = () => Boolean(process.env.TEST_DATABASE_URL);

/** A fresh, migrated database: a PGlite loaded from the run's snapshot, or a PostgreSQL database from the template. */
export async function createTestDb(): Promise<Database & { drop(): Promise<void>; url?: string }> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const snapshot = readFileSync(inject('pgliteSnapshot'));
    const db = await openDatabase({ loadDataDir: new Blob([snapshot]) });
    await db.migrate();
    return Object.assign(db, { drop: () => db.close() });
  }
  const name = `helio_t_${randomToken(6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}`;
  const admin = await openDatabase({ url, poolSize: 1 });
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.client!.unsafe(`create database "${name}" template "${inject('pgTemplate')}"`);
      break;
    } catch (err: any) {
      // Two files may copy the template at the same instant; PostgreSQL refuses the second briefly.
      if (attempt > 20 || !/being accessed by other users/.test(String(err?.message))) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const dbUrl = withDatabase(url, name);
  const db = await openDatabase({ url: dbUrl, poolSize: 10 });
  await db.migrate();
  return Object.assign(db, {
    /** The fresh database's connection string (PostgreSQL only), for processes started by a test. */
    url: dbUrl,
    async drop() {
      await db.close();
      await admin.client!.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.close();
    },
  });
}

export interface TestApp {
  app: FastifyInstance;
  db: Database & { drop(): Promise<void> };
  close(): Promise<void>;
}

export async function createTestApp(config: Partial<AppConfig> = {}): Promise<TestApp> {
  const db = await createTestDb();
  await ensurePlatformTenant(db);
  const app = await buildApp({ db, logger: false, publicRateLimit: 0, loginRateLimit: 0, ...config });
  await app.ready();
  return {
    app,
    db,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

export interface TestTenant {
  tenantId: string;
  slug: string;
  apiKey: string;
  adminUserId: string;
  adminEmail: string;
  adminPassword: string;
}

let tenantCounter = 0;
export async function createTenant(t: TestApp, slug?: string, settings?: Record<string, unknown>): Promise<TestTenant> {
  const s =
    slug ??
    `t${++tenantCounter}-${randomToken(4)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}`;
  const adminEmail = `owner@${s}.example`;
  const adminPassword = 'correct horse battery staple';
  const created = await provisionTenant(t.db, { slug: s, name: `Tenant ${s}`, adminEmail, adminPassword, settings });
  return { ...created, adminEmail, adminPassword };
}

export interface Res {
  status: number;
  body: any;
  headers: Record<string, any>;
}

/** app.inject with a bearer token and JSON body; returns status, parsed body and headers. */
export async function call(
  app: FastifyInstance,
  method: InjectOptions['method'],
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Res> {
  const res = await app.inject({
    method,
    url,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    payload: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  let body: any = res.body;
  try {
    body = res.body ? JSON.parse(res.body) : null;
  } catch {}
  return { status: res.statusCode, body, headers: res.headers };
}

let intakeCounter = 0;
/** A realistic intake body; pass overrides for the parts a test cares about. */
export function intakeBody(overrides: Record<string, any> = {}) {
  const n = ++intakeCounter;
  return {
    contact: {
      name: `Ada Byrne ${n}`,
      email: `ada.${n}.${randomToken(4)}@example.com`,
      postcode: 'D02 X285',
      locale: 'en-IE',
      address: { line1: `${n} Main St`, city: 'Dublin', country: 'IE' },
      ...(overrides.contact ?? {}),
    },
    source: 'website',
    service: 'solar_pv',
    selectedPath: 'compare_quotes',
    contactPreferences: { channels: ['email', 'phone'], bestTime: 'evening' },
    consent: { terms: true, marketing: false },
    assessment: { questionSetVersion: '2026-10', answers: { roofType: 'pitched', monthlyBill: 180 } },
    recommendation: {
      engineVersion: '1.4.0',
      products: [{ kind: 'solar_pv', sizeKw: 4.2 }],
      estimatedAnnualSavings: { amount: 95000, currency: 'EUR' },
    },
    ...Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== 'contact')),
  };
}
