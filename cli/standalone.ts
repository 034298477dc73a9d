// What the standalone executable (cli/launcher/standalone-main.cjs) provides: the bundles and
// files that sit next to dist/qdc.js in an installed tree are inside the executable there.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { qdcCacheDir } from './cache.js';

interface StandaloneHost {
  stamp: string;
  load(name: string): unknown;
  assetNames(): string[];
  asset(name: string): string;
  /** Restores the JIT's normal tier-up thresholds (the executable starts with them raised). */
  longRun(): void;
}

const host = (): StandaloneHost | undefined => (globalThis as { qdcStandalone?: StandaloneHost }).qdcStandalone;

/** A bundle that is loaded only by the command that needs it (the language server). */
export function loadBundle<T>(name: string): T {
  const h = host();
  // esbuild leaves this require alone: the path is only known at run time
  return (h ? h.load(name) : require(join(__dirname, name))) as T;
}

/** Says that this command has enough work ahead for the JIT to pay off (a long lint, the
 * language server). The executable starts with JavaScriptCore's tier-up thresholds raised, so
 * that a short command (a run, one file's lint) is not spent compiling code it runs a few
 * times; this sets them back to normal. Nothing happens outside the executable. */
export function expectLongRun(): void {
  host()?.longRun();
}

/** Our grammars inside the executable, written once per executable build to the cache
 * directory (validation reads and stamps real files). Undefined outside the executable. */
export function embeddedGrammarDir(): string | undefined {
  const h = host();
  if (!h) return undefined;
  const dir = join(qdcCacheDir(), `grammars-${h.stamp}`);
  if (existsSync(dir)) return dir;
  // made under a temporary name and renamed, so a reader never sees half of it
  const tmp = `${dir}.${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  for (const name of h.assetNames()) {
    if (name.startsWith('grammars/')) writeFileSync(join(tmp, name.slice('grammars/'.length)), h.asset(name));
  }
  try { renameSync(tmp, dir); } catch { rmSync(tmp, { recursive: true, force: true }); /* another process won */ }
  return dir;
}
