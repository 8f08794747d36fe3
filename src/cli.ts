import { parseArgs } from 'node:util';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { importCommand } from './cli-import.ts';
import { loadConfig, type RuntimeConfig } from './config.ts';
import { openDatabase } from './platform/db.ts';
import { seedDemo } from './workflows/demo.ts';
import { ensurePlatformTenant, provisionTenant } from './workflows/tenant-provisioning.ts';

const USAGE = `Usage: helio <command> [options]

Commands:
  serve [--port 3000] [--host 127.0.0.1] [--data-dir ./data]   run the API (migrations run on start)
  migrate                                                        apply migrations and exit
  tenant create --slug S --name N --admin-email E --admin-password P [--json]
  demo [--slug demo]                                             a demo tenant with realistic data
  import FILE --tenant SLUG [--kind people|leads|accounts|installers|region_postcodes] [--mapping NAME] [--approve] [--json]
                                                                 import a CSV/XLSX file (commits only with --approve)

Every command accepts --data-dir (or DATA_DIR) and honours DATABASE_URL.
Environment: PORT, HOST, DATA_DIR, DATABASE_URL, LOG_LEVEL, PUBLIC_RATE_LIMIT, LOGIN_RATE_LIMIT, CORS_ORIGINS.`;

function fail(message: string): never {
  process.stderr.write(`helio: ${message}\n`);
  process.exit(2);
}

async function open(config: RuntimeConfig) {
  const db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
  await db.migrate();
  await ensurePlatformTenant(db);
  return db;
}

async function serve(config: RuntimeConfig) {
  const db = await open(config);
  const app = await buildApp({
    db,
    logger: { level: config.logLevel },
    publicRateLimit: config.publicRateLimit,
    loginRateLimit: config.loginRateLimit,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    jobs: { pollingIntervalSeconds: 2 },
  });
  // SIGTERM/SIGINT: stop accepting, finish in-flight requests, then close the database.
  closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
    await db.close();
  });
  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { database: db.kind, dataDir: db.kind === 'pglite' ? config.dataDir : undefined },
    `Helio API on http://${config.host}:${config.port} (docs at /docs)`,
  );
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      slug: { type: 'string' },
      name: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-password': { type: 'string' },
      json: { type: 'boolean' },
      tenant: { type: 'string' },
      kind: { type: 'string' },
      mapping: { type: 'string' },
      approve: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub] = positionals;
  if (!command || values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig(values);
  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate': {
      const db = await open(config);
      await db.close();
      process.stdout.write('migrations applied\n');
      return;
    }
    case 'tenant': {
      if (sub !== 'create') fail(`unknown tenant command '${sub ?? ''}'\n${USAGE}`);
      const need = ['slug', 'name', 'admin-email', 'admin-password'] as const;
      const missing = need.filter((k) => !values[k]);
      if (missing.length) fail(`tenant create needs ${missing.map((m) => `--${m}`).join(', ')}`);
      const db = await open(config);
      try {
        const created = await provisionTenant(db, {
          slug: values.slug!,
          name: values.name!,
          adminEmail: values['admin-email']!,
          adminPassword: values['admin-password']!,
        });
        if (values.json) process.stdout.write(`${JSON.stringify(created)}\n`);
        else
          process.stdout.write(
            `tenant ${created.slug} created\nadmin user ${created.adminUserId}\napi key ${created.apiKey}\n`,
          );
      } finally {
        await db.close();
      }
      return;
    }
    case 'demo': {
      const db = await open(config);
      try {
        const demo = await seedDemo(db, { slug: values.slug ?? 'demo' });
        process.stdout.write(
          `${[
            `demo tenant '${demo.slug}' ready`,
            `  login:    POST /api/auth/login {"tenant":"${demo.slug}","email":"${demo.adminEmail}","password":"${demo.adminPassword}"}`,
            `  api key:  ${demo.apiKey}`,
            `  leads:    ${demo.leadCount}, of which by lifecycle (${Object.entries(demo.byStatus)
              .map(([s, n]) => `${s} ${n}`)
              .join(', ')})`,
            `  marketplace: ${demo.regions} regions, ${demo.installers} installers, assignments ${Object.entries(
              demo.assignmentStates,
            )
              .map(([s, n]) => `${s} ${n}`)
              .join(', ')}`,
            `  crm:      ${demo.crm.households} households, ${demo.crm.companies} company with two sites, ${demo.crm.projects} projects across every delivery stage`,
            `  partner:  crew@liffeysolar.example (installer-partner, same password)`,
          ].join('\n')}\n`,
        );
      } finally {
        await db.close();
      }
      return;
    }
    case 'import':
      return importCommand(config, sub, values, fail);
    default:
      fail(`unknown command '${command}'\n${USAGE}`);
  }
}

main().catch((err) => {
  const e = err as { code?: string; message?: string; errors?: { path: string; message: string }[] };
  if (e?.code && /^[a-z_]+\.[a-z_]+/.test(e.code)) {
    fail([`${e.code}: ${e.message}`, ...(e.errors ?? []).map((x) => `  ${x.path}: ${x.message}`)].join('\n'));
  }
  process.stderr.write(`helio: ${err?.stack ?? err}\n`);
  process.exit(1);
});
