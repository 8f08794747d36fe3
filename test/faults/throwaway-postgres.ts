import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../server-process.ts';

/**
 * A PostgreSQL server of the test's own (initdb in a temp directory, a free loopback port), so a fault
 * test may stop and restart it without touching the shared server other tests use. Same flags as .ci/run.
 */

const exec = promisify(execFile);

/** The newest PostgreSQL bin directory on this machine (Debian layout), or undefined. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(root, versions[versions.length - 1], 'bin') : undefined;
}

/** Why this machine cannot run a throwaway PostgreSQL, or undefined when it can. */
export function throwawayPostgresUnavailable(): string | undefined {
  if (!findPostgresBin()) return 'no initdb/pg_ctl under /usr/lib/postgresql/*/bin';
  if (process.getuid?.() === 0) {
    try {
      postgresUser();
    } catch {
      return 'running as root but there is no postgres user to own the data directory';
    }
  }
  return undefined;
}

/** uid and gid of the postgres user (PostgreSQL refuses to run as root). */
function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no postgres user');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface ThrowawayPostgres {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** `pg_ctl restart -m fast`: sessions are terminated (57P01), then the server comes back. */
  restartFast(): Promise<void>;
  /** `pg_ctl stop -m immediate`: the postmaster and its backends die without a checkpoint. */
  stopImmediate(): Promise<void>;
  start(): Promise<void>;
  /** The tail of the server log, for failure messages. */
  log(): string;
  destroy(): Promise<void>;
}

/** `settings`: extra server settings (`-c name=value`), e.g. the larger buffers of the import benchmark. */
export async function startThrowawayPostgres(settings: Record<string, string> = {}): Promise<ThrowawayPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL binaries');
  const asRoot = process.getuid?.() === 0;
  // As root, every PostgreSQL binary runs as the postgres user (the directory is chown'ed to it).
  const run = (cmd: string, args: string[], timeout = 60_000) =>
    asRoot
      ? exec('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { timeout })
      : exec(join(bin, cmd), args, { timeout });
  const dir = mkdtempSync(join(tmpdir(), 'helio-faults-pg-'));
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const logFile = join(dir, 'log');
  const port = await freePort();
  await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = Object.entries({ max_connections: '100', shared_buffers: '32MB', ...settings }).reduce(
    (o, [name, value]) => `${o} -c ${name}=${value}`,
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
  );
  const pgCtl = (...args: string[]) => run('pg_ctl', ['-D', data, '-l', logFile, ...args]);
  const start = async () => {
    await pgCtl('-w', '-t', '60', '-o', options, 'start');
  };
  await start();
  // Should the test process end without destroy() (a killed run), the server must not outlive it.
  let destroyed = false;
  const stopOnExit = () => {
    if (destroyed) return;
    const args = [join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'];
    try {
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore', timeout: 10_000 });
      else execFileSync(args[0], args.slice(1), { stdio: 'ignore', timeout: 10_000 });
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopOnExit);
  return {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restartFast() {
      await pgCtl('-w', '-t', '60', '-m', 'fast', '-o', options, 'restart');
    },
    async stopImmediate() {
      await pgCtl('-w', '-t', '60', '-m', 'immediate', 'stop');
    },
    start,
    log() {
      try {
        return readFileSync(logFile, 'utf8').slice(-4000);
      } catch {
        return '';
      }
    },
    async destroy() {
      destroyed = true;
      process.removeListener('exit', stopOnExit);
      await pgCtl('-w', '-t', '30', '-m', 'immediate', 'stop').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
