// Fixed compile options for golden tests: the conformance corpus' QEMU 8.0 capabilities,
// a fixed embedded root and host environment, so expected outputs are reproducible.
import { createCipheriv } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDriverConfig, parseFirmwareDescriptor, parseQemuCaps, type CompileOptions, type FirmwareDescriptor, type QemuCaps, type SecretProvider } from '../compiler/src/index.js';

import { CONFORMANCE_DIR } from './conformance-dir.js';

export { CONFORMANCE_DIR };
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

/** Fixed secrets: the value, master key (bytes 0…31) and IV (bytes 0…15) libvirt's own test
 *  harness uses, so the ciphertexts can be checked against libvirt's outputs by eye. */
export function goldenSecrets(): SecretProvider {
  const value = new TextEncoder().encode('AQCVn5hO6HzFAhAAq0NCv8jtJcIcE+HOBlMQ1A');
  const known = [
    { uuid: '0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f', usageType: 'volume', usageId: '/storage/guest_disks/encryptdisk' },
    { uuid: 'b0a2b2ce-8f5c-4b84-9a59-0f1e2d3c4b5a', usageType: 'iscsi', usageId: 'mysecret' },
    { uuid: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', usageType: 'ceph', usageId: 'mycluster_myname' },
  ];
  return {
    value: (ref) => (known.some((k) => (ref.uuid ? k.uuid === ref.uuid : k.usageType === ref.usageType && k.usageId === ref.usageId)) ? value : undefined),
    encrypt: (plain) => {
      const iv = Buffer.from([...Array(16).keys()]);
      const c = createCipheriv('aes-256-cbc', Buffer.from([...Array(32).keys()]), iv);
      return { data: Buffer.concat([c.update(plain), c.final()]).toString('base64'), iv: iv.toString('base64') };
    },
  };
}

export function goldenOptions(): CompileOptions & { nowEpochSeconds: number } {
  const root = '/var/lib/qdc-golden';
  const libDir = `${root}/lib/qemu`;
  const config = defaultDriverConfig(libDir);
  config.hugetlbfs = ['/dev/hugepages2M', '/dev/hugepages1G'];
  return {
    caps: goldenCaps(), config,
    paths: { libDir, channelTargetDir: `${libDir}/channel/target`, runDir: `${root}/run/qemu`, logDir: `${root}/log/qemu`, swtpmStorageDir: `${root}/lib/swtpm`, swtpmRunDir: `${root}/run/swtpm` },
    domainId: 1, hostEnv: { PATH: '/usr/bin:/bin', USER: 'qdc', LOGNAME: 'qdc' }, monitorFd: 3, nowEpochSeconds: 1700000000,
    firmware: goldenFirmware(), secrets: goldenSecrets(),
  };
}
