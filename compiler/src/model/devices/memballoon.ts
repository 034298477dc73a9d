// <memballoon>: the virtio balloon (or none).
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readVirtioDriver, type VirtioDriver } from './virtio.js';

export interface Memballoon {
  kind: 'memballoon';
  model: 'virtio' | 'virtio-transitional' | 'virtio-non-transitional' | 'xen' | 'none';
  autodeflate?: boolean;
  freePageReporting?: boolean;
  statsPeriod?: number;
  driver: VirtioDriver;
  info: DeviceInfo;
}

export function readMemballoon(r: ElementReader): Memballoon {
  const model = r.enumAttr('model', ['virtio', 'virtio-transitional', 'virtio-non-transitional', 'xen', 'none'] as const);
  if (!model) r.fatal('missing-attribute', '<memballoon> needs a model');
  const stats = r.child('stats');
  return {
    kind: 'memballoon', model: model!, autodeflate: r.boolAttr('autodeflate'), freePageReporting: r.boolAttr('freePageReporting'),
    statsPeriod: stats?.intAttr('period'), driver: readVirtioDriver(r), info: readDeviceInfo(r, { boot: false }),
  };
}
