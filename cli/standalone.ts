// What the standalone executable (cli/launcher/sea-main.cjs) provides: the bundles and files
// that sit next to dist/qdc.js in an installed tree are assets inside the executable there.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { qdcCacheDir } from './cache.js';

interface StandaloneHost {
  stamp: string;
  load(name: string, command?: string): unknown;
  assetNames(): string[];
  asset(name: string): string;
}

const host = (): StandaloneHost | undefined => (globalThis as { qdcStandalone?: StandaloneHost }).qdcStandalone;

/** A bundle that is loaded only by the command that needs it (the language server). */
export function loadBundle<T>(name: string): T {
  const h = host();
  // esbuild leaves this require alone: the path is only known at run time
  return (h ? h.load(name) : require(join(__dirname, name))) as T;
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
