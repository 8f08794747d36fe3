import { resolve } from 'node:path';

/** Runtime configuration from flags and the environment (API.md "Command line"). */
export interface RuntimeConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  logLevel: string;
  publicRateLimit: number;
  loginRateLimit: number;
  corsOrigins: string[];
  trustProxy: boolean;
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${value}'`);
  return n;
}

export function loadConfig(flags: Record<string, string | boolean | undefined>, env = process.env): RuntimeConfig {
  const str = (k: string) => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  return {
    port: intFrom(str('port') ?? env.PORT, 3000, 'PORT'),
    host: str('host') ?? env.HOST ?? '127.0.0.1',
    dataDir: resolve(str('data-dir') ?? env.DATA_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    publicRateLimit: intFrom(env.PUBLIC_RATE_LIMIT, 60, 'PUBLIC_RATE_LIMIT'),
    loginRateLimit: intFrom(env.LOGIN_RATE_LIMIT, 10, 'LOGIN_RATE_LIMIT'),
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    trustProxy: env.TRUST_PROXY === '1' || env.TRUST_PROXY === 'true',
  };
}
