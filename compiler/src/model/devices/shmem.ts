// <shmem>: inter-VM shared memory (ivshmem).
import type { ElementReader } from '../../xml/reader.js';
import { scaledBytes } from '../units.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export interface Shmem {
  kind: 'shmem';
  name: string;
  model: 'ivshmem-plain' | 'ivshmem-doorbell' | 'ivshmem';
  role?: 'master' | 'peer';
  sizeBytes?: number;
  /** <server>: the ivshmem server socket (doorbell only) */
  server?: { path?: string };
  msi?: { vectors?: number; ioeventfd?: boolean };
  info: DeviceInfo;
}

export function readShmem(r: ElementReader): Shmem {
  const name = r.requireAttr('name');
  if (name.includes('/')) r.fatal('invalid-value', `shmem name '${name}' must not contain '/'`, 'name');
  const m = r.child('model');
  const s: Shmem = {
    kind: 'shmem', name, model: m?.enumAttr('type', ['ivshmem-plain', 'ivshmem-doorbell', 'ivshmem'] as const) ?? 'ivshmem-plain',
    role: r.enumAttr('role', ['master', 'peer'] as const), info: readDeviceInfo(r, { boot: false }),
  };
  const size = r.child('size');
  if (size) {
    const t = size.text();
    if (!/^[0-9]+$/.test(t)) size.fatal('invalid-number', `<size> must be a non-negative integer (got '${t}')`);
    const bytes = scaledBytes(Number(t), size.attr('unit'), 'B');
    if (bytes === undefined) size.fatal('invalid-value', `unknown unit '${size.attr('unit')}'`, 'unit');
    s.sizeBytes = bytes;
  }
  const server = r.child('server');
  if (server) s.server = { path: server.attr('path') };
  const msi = r.child('msi');
  if (msi) {
    msi.accept('enabled'); // MSI is always on for the doorbell device
    s.msi = { vectors: msi.intAttr('vectors'), ioeventfd: msi.boolAttr('ioeventfd') };
  }
  return s;
}
