/** Diagnostics: summarizes a V8 CPU profile (node --cpu-prof) of a server into where its CPU went. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface ProfileSummary {
  /** Busy (non-idle) CPU time in the profile, ms. */
  busyMs: number;
  /** Share of busy time per category (package, "socket writes", "garbage collection", …), largest first. */
  categories: { name: string; ms: number; share: number }[];
}

function category(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)') return 'idle';
  if (['writeBuffer', 'writev', 'writeUtf8String', 'writeLatin1String'].includes(functionName))
    return 'socket writes (syscalls)';
  if (url.startsWith('wasm://')) return 'WebAssembly (PGlite)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg === 'tsx' || url.includes('node:internal/modules')) return 'module loading (startup)';
  if (pkg) return pkg;
  if (url.includes('/src/')) return 'app code (src/)';
  if (url.startsWith('node:')) return 'node internals';
  return 'other native';
}

/** The largest .cpuprofile in dir (the main thread's). */
export function summarizeProfileDir(dir: string): ProfileSummary {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  if (!files.length) throw new Error(`no CPU profile in ${dir}`);
  files.sort((a, b) => statSync(b).size - statSync(a).size);
  const profile = JSON.parse(readFileSync(files[0], 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    const c = category(node);
    totals.set(c, (totals.get(c) ?? 0) + profile.timeDeltas[i] / 1000);
  }
  totals.delete('idle');
  totals.delete('module loading (startup)');
  const busyMs = [...totals.values()].reduce((a, b) => a + b, 0);
  return {
    busyMs,
    categories: [...totals].map(([name, ms]) => ({ name, ms, share: ms / busyMs })).sort((a, b) => b.ms - a.ms),
  };
}
