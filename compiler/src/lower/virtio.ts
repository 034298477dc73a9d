// Properties every virtio device takes from <driver iommu ats packed page_per_vq>.
import type { VirtioDriver } from '../model/devices/virtio.js';

export function virtioProps(d: VirtioDriver): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (d.iommu !== undefined) p.iommu_platform = d.iommu;
  if (d.ats !== undefined) p.ats = d.ats;
  if (d.packed !== undefined) p.packed = d.packed;
  if (d.pagePerVq !== undefined) p['page-per-vq'] = d.pagePerVq;
  return p;
}

/** virtio model suffix: transitional devices are conventional PCI on q35. */
export function virtioDriverName(base: string, model: string | undefined): string {
  if (model === 'virtio-transitional') return `${base}-transitional`;
  if (model === 'virtio-non-transitional') return `${base}-non-transitional`;
  return base;
}
