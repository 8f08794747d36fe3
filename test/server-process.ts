import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** `helio` as a real process (bin/helio.js), for the multi-process and crash tests. */

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HELIO = fileURLToPath(new URL('../bin/helio.js', import.meta.url));

/** A port nobody listens on right now: bind port 0 and give it back. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The environment of a child: ours, minus a database the parent may point at, plus the overrides. */
function childEnv(env: Record<string, string>) {
  const { DATABASE_URL: _url, DATA_DIR: _dir, ...base } = process.env;
  return { ...base, LOG_LEVEL: 'warn', ...env };
}

/** Runs a helio command to completion (e.g. `tenant create --json`) and returns its stdout. */
export async function runHelio(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [HELIO, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    timeout: 60_000,
  });
  return stdout;
}

export interface ServerProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Resolves when the process is gone, with its exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The tail of stdout + stderr, for failure messages. */
  output(): string;
  /** Polls /api/system/health until it answers 200; rejects if the process exits first. */
  ready(timeoutMs?: number): Promise<void>;
  /** Sends the signal (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startServer(
  opts: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const proc = spawn(process.execPath, [HELIO, 'serve', '--port', String(port), ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    env: childEnv(opts.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-8000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let alive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal });
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    proc,
    port,
    url,
    exited,
    output: () => out,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!alive) throw new Error(`helio serve exited before it was healthy:\n${out}`);
        try {
          const res = await fetch(`${url}/api/system/health`, { signal: AbortSignal.timeout(2000) });
          if (res.status === 200) return;
          await res.arrayBuffer();
        } catch {}
        if (Date.now() > deadline) throw new Error(`helio serve not healthy after ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (alive && proc.pid) {
        try {
          process.kill(proc.pid, signal);
        } catch {}
      }
      // A graceful stop that hangs is a failure of its own; never leave the process behind.
      const timer = setTimeout(() => alive && proc.pid && process.kill(proc.pid, 'SIGKILL'), 15_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
