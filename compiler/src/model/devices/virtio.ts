// <driver iommu ats packed page_per_vq> shared by every virtio device.
import type { ElementReader } from '../../xml/reader.js';

export interface VirtioDriver { iommu?: boolean; ats?: boolean; packed?: boolean; pagePerVq?: boolean }

/** Reads the virtio options from `<driver>`; the caller reads any other attributes it needs first. */
export function readVirtioDriver(r: ElementReader, drv: ElementReader | undefined = r.child('driver')): VirtioDriver {
  if (!drv) return {};
  return { iommu: drv.boolAttr('iommu'), ats: drv.boolAttr('ats'), packed: drv.boolAttr('packed'), pagePerVq: drv.boolAttr('page_per_vq') };
}
