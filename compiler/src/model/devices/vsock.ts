// <vsock>: the host<->guest socket device.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readVirtioDriver, type VirtioDriver } from './virtio.js';

export interface Vsock {
  kind: 'vsock';
  model?: 'virtio' | 'virtio-transitional' | 'virtio-non-transitional';
  autoCid: boolean;
  cid?: number;
  driver: VirtioDriver;
  info: DeviceInfo;
}

export function readVsock(r: ElementReader): Vsock {
  const cid = r.child('cid');
  const v: Vsock = {
    kind: 'vsock', model: r.enumAttr('model', ['virtio', 'virtio-transitional', 'virtio-non-transitional'] as const),
    autoCid: cid?.boolAttr('auto') ?? false, cid: cid?.intAttr('address'), driver: readVirtioDriver(r), info: readDeviceInfo(r, { boot: false }),
  };
  if (v.cid !== undefined && v.cid < 3) cid!.fatal('invalid-value', `guest CIDs 0-2 are reserved (got ${v.cid})`, 'address');
  return v;
}
