// <iommu>: the guest-visible IOMMU.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export interface Iommu {
  kind: 'iommu';
  model: 'intel' | 'smmuv3' | 'virtio';
  intremap?: boolean;
  cachingMode?: boolean;
  eim?: boolean;
  iotlb?: boolean;
  awBits?: number;
  /** any <driver> attribute given (virtio takes none) */
  driverRange?: import('../../diagnostics.js').Range;
  info: DeviceInfo;
}

export function readIommu(r: ElementReader): Iommu {
  const model = r.enumAttr('model', ['intel', 'smmuv3', 'virtio'] as const);
  if (!model) r.fatal('missing-attribute', '<iommu> needs a model');
  const i: Iommu = { kind: 'iommu', model: model!, info: readDeviceInfo(r, { boot: false }) };
  const d = r.child('driver');
  if (d) {
    i.intremap = d.boolAttr('intremap');
    i.cachingMode = d.boolAttr('caching_mode');
    i.eim = d.boolAttr('eim');
    i.iotlb = d.boolAttr('iotlb');
    i.awBits = d.intAttr('aw_bits');
    if (d.el.attrs.length) i.driverRange = d.range;
  }
  return i;
}
