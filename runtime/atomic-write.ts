// Files other qdc processes read at any moment (records, caches, secrets) are written whole
// or not at all: to a temporary name first, then renamed over the old one.
import { renameSync, writeFileSync } from 'node:fs';

export function atomicWrite(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
