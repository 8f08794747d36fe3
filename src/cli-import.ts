import cliProgress from 'cli-progress';
import type { RuntimeConfig } from './config.ts';
import { type ImportKind, type Progress, SUPPORTED_KINDS } from './modules/imports/index.ts';
import { openDatabase } from './platform/db.ts';
import { runImportFile } from './workflows/import-file.ts';
import { ensurePlatformTenant } from './workflows/tenant-provisioning.ts';

/**
 * `helio import FILE --tenant SLUG --kind people|leads|accounts|installers|region_postcodes [--mapping NAME] [--approve]`:
 * the whole batch in this process, with a progress bar (rows/s, ETA) on a terminal and plain progress lines
 * otherwise.
 */
export async function importCommand(
  config: RuntimeConfig,
  file: string | undefined,
  flags: { tenant?: string; kind?: string; mapping?: string; approve?: boolean; json?: boolean },
  fail: (message: string) => never,
) {
  if (!file) fail('import needs a FILE');
  if (!flags.tenant) fail('import needs --tenant SLUG');
  const kind = (flags.kind ?? 'people') as ImportKind;
  if (!SUPPORTED_KINDS.includes(kind)) fail(`--kind must be one of ${SUPPORTED_KINDS.join(', ')}`);
  const db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
  const tty = Boolean(process.stdout.isTTY);
  let bar: cliProgress.SingleBar | null = null;
  let phase = '';
  let started = Date.now();
  let lastLine = 0;
  const progress: Progress = (p, done, total) => {
    if (p !== phase) {
      bar?.stop();
      bar = null;
      phase = p;
      started = Date.now();
    }
    const rate = done / Math.max((Date.now() - started) / 1000, 0.001);
    if (tty) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: `${p.padEnd(8)} [{bar}] {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}`,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total ?? done, done, { rate: Math.round(rate) });
      }
      if (total != null) bar.setTotal(total);
      else if (done > bar.getTotal()) bar.setTotal(done);
      bar.update(done, { rate: Math.round(rate) });
    } else if (Date.now() - lastLine > 2000 || (total != null && done >= total)) {
      lastLine = Date.now();
      const eta = total != null && rate > 0 ? ` eta ${Math.round((total - done) / rate)} s` : '';
      process.stdout.write(`${p}: ${done}${total != null ? `/${total}` : ''} rows, ${Math.round(rate)} rows/s${eta}\n`);
    }
  };
  try {
    await db.migrate();
    await ensurePlatformTenant(db);
    const t0 = Date.now();
    const batch = await runImportFile(
      db,
      { path: file, tenantSlug: flags.tenant, kind, mappingTemplate: flags.mapping, approve: flags.approve },
      progress,
    );
    (bar as cliProgress.SingleBar | null)?.stop();
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(batch)}\n`);
      return;
    }
    const r = batch.report;
    process.stdout.write(
      `${[
        `import ${batch.id}: ${batch.status} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
        `  file:     ${batch.fileName}, ${batch.rowCount} rows, columns ${batch.columns.length}`,
        `  mapping:  ${Object.entries(batch.mapping ?? {})
          .map(([c, f]) => `${c} → ${f}`)
          .join(', ')}`,
        r
          ? `  proposal: create ${r.create}, update ${r.update}, merge ${r.merge}, skip ${r.skip}, invalid ${r.invalid}`
          : '',
        batch.commitResult
          ? `  written:  ${JSON.stringify(batch.commitResult)}`
          : '  not approved: pass --approve to commit',
      ]
        .filter(Boolean)
        .join('\n')}\n`,
    );
  } finally {
    (bar as cliProgress.SingleBar | null)?.stop();
    await db.close();
  }
}
