// Fixed compile options for golden tests: the conformance corpus' QEMU 8.0 capabilities,
// a fixed embedded root and host environment, so expected outputs are reproducible.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDriverConfig, parseQemuCaps, type CompileOptions, type QemuCaps } from '../compiler/src/index.js';

export const CONFORMANCE_DIR = process.env.QDC_CONFORMANCE_DIR ?? join(import.meta.dirname, '../../shared/conformance');
let caps: QemuCaps | undefined;

export function goldenCaps(): QemuCaps {
  caps ??= parseQemuCaps(readFileSync(join(CONFORMANCE_DIR, 'tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml'), 'utf8'));
  return caps;
}

export function goldenOptions(): CompileOptions & { nowEpochSeconds: number } {
  const root = '/var/lib/qdc-golden';
  const libDir = `${root}/lib/qemu`;
  const config = defaultDriverConfig(libDir);
  config.hugetlbfs = ['/dev/hugepages2M', '/dev/hugepages1G'];
  return {
    caps: goldenCaps(), config,
    paths: { libDir, channelTargetDir: `${libDir}/channel/target`, runDir: `${root}/run/qemu`, logDir: `${root}/log/qemu` },
    domainId: 1, hostEnv: { PATH: '/usr/bin:/bin', USER: 'qdc', LOGNAME: 'qdc' }, monitorFd: 3, nowEpochSeconds: 1700000000,
  };
}
