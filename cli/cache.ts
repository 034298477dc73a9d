// qdc's per-user cache ($QDC_CACHE_DIR, else $XDG_CACHE_HOME/qdc, else ~/.cache/qdc): things
// that are expensive to rebuild and cheap to check (compiled grammars, parsed capability files).
// Every entry is keyed by what it was built from, so a stale entry is never used.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { atomicWrite } from '../runtime/atomic-write.js';
import { cacheKey } from '../runtime/cache-key.js';

export function qdcCacheDir(): string {
  return process.env.QDC_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'qdc');
}

/** The cached value derived from `source` (checked against its size and mtime), or `build()`
 * stored for next time. Entries for older versions of the same source are removed. */
export function cachedFromFile<T>(kind: string, source: string, build: () => T, encode: (v: T) => string, decode: (s: string) => T): T {
  let st;
  try { st = statSync(source); } catch { return build(); }
  const dir = qdcCacheDir();
  const prefix = `${kind}-${cacheKey(source)}-`;
  const file = join(dir, `${prefix}${st.size}-${Math.floor(st.mtimeMs)}.json`);
  try { return decode(readFileSync(file, 'utf8')); } catch { /* not cached yet */ }
  const value = build();
  try {
    mkdirSync(dir, { recursive: true });
    atomicWrite(file, encode(value));
    for (const f of readdirSync(dir)) if (f.startsWith(prefix) && join(dir, f) !== file) rmSync(join(dir, f), { force: true });
  } catch { /* a cache that cannot be written only costs time */ }
  return value;
}
