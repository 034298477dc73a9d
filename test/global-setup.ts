// Runs once before the test files: without the conformance corpus most suites cannot run
// (the golden tests compile against its QEMU capabilities), so say so once, plainly, rather
// than fail hundreds of tests with ENOENT.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_DIR } from './conformance-dir.js';

export default function setup(): void {
  if (existsSync(join(CONFORMANCE_DIR, 'cases.json'))) return;
  throw new Error(`libvirt's conformance corpus is not at ${CONFORMANCE_DIR}: the tests read it (QEMU capabilities, corpus domains). Clone qdc beside shared/ (../shared/conformance) or set QDC_CONFORMANCE_DIR=/path/to/conformance.`);
}
