/**
 * Diagnostics only: the Helio server as `helio serve` starts it (src/cli.ts), on the app's own database
 * object with its postgres-js client instrumented by bench/variant-db.ts; BENCH_FORCE_PREPARE=1 forces
 * prepared statements. Run as its own process: `node --import tsx bench/variant-server.ts` with
 * DATABASE_URL, PORT and the usual environment (PUBLIC_RATE_LIMIT, LOG_LEVEL).
 */
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { ensurePlatformTenant } from '../src/workflows/tenant-provisioning.ts';
import { openVariantPostgres } from './variant-db.ts';

const config = loadConfig({});
if (!config.databaseUrl) throw new Error('variant-server needs DATABASE_URL');
const db = await openVariantPostgres(config.databaseUrl, { forcePrepare: process.env.BENCH_FORCE_PREPARE === '1' });
await db.migrate();
await ensurePlatformTenant(db);
const app = await buildApp({
  db,
  logger: { level: config.logLevel },
  publicRateLimit: config.publicRateLimit,
  loginRateLimit: config.loginRateLimit,
  corsOrigins: config.corsOrigins,
  trustProxy: config.trustProxy,
  jobs: { pollingIntervalSeconds: 2 },
});
const stop = async () => {
  await app.close();
  await db.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await app.listen({ port: config.port, host: config.host });
