// Fixed compile options for golden tests: the conformance corpus' QEMU 8.0 capabilities,
// a fixed embedded root and host environment, so expected outputs are reproducible.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDriverConfig, parseFirmwareDescriptor, parseQemuCaps, type CompileOptions, type FirmwareDescriptor, type QemuCaps } from '../compiler/src/index.js';

export const CONFORMANCE_DIR = process.env.QDC_CONFORMANCE_DIR ?? join(import.meta.dirname, '../../shared/conformance');
let caps: QemuCaps | undefined;

export function goldenCaps(): QemuCaps {
  caps ??= parseQemuCaps(readFileSync(join(CONFORMANCE_DIR, 'tests/qemucapabilitiesdata/caps_8.0.0.x86_64.xml'), 'utf8'));
  return caps;
}

/** Our own test firmware descriptors (fixtures/firmware), in file-name order. */
export function goldenFirmware(): FirmwareDescriptor[] {
  const dir = join(import.meta.dirname, '../fixtures/firmware');
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => parseFirmwareDescriptor(readFileSync(join(dir, f), 'utf8'), join('fixtures/firmware', f)));
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
    firmware: goldenFirmware(),
  };
}
