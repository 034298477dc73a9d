// <iommu> → intel-iommu (a sysbus device on q35) or virtio-iommu (on pcie.0). libvirt writes it
// right after -boot, before any controller.
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { isQ35 } from './machine.js';
import { pciDeviceProps } from './pci-address.js';

export const iommuFamily: Family<'iommu'> = {
  kind: 'iommu',
  assignAliases(devs) { for (const d of devs) if (!d.info.alias) d.info.alias = 'iommu0'; },
  pciConnect(d) { return d.model === 'virtio' ? 'integrated' : null; },
  lower(devs, ctx: LowerContext) {
    if (devs.length > 1) ctx.fail('invalid-config', 'only one IOMMU device is supported', devs[1]!.info.range);
    for (const i of devs) {
      const r = i.info.range;
      if (i.model === 'smmuv3') ctx.unsupported("<iommu model='smmuv3'>", r, 'ARM virt machines only');
      if (i.model === 'virtio') {
        if (!isQ35(ctx.machine)) ctx.fail('invalid-config', "IOMMU device: 'virtio' is only supported with Q35 and ARM Virt machines", r);
        if (!ctx.domain.features.acpi) ctx.fail('invalid-config', "IOMMU device: 'virtio' requires ACPI", r);
        if (i.driverRange) ctx.fail('invalid-config', "IOMMU device: 'virtio' does not support driver options", i.driverRange);
        ctx.requireFlag('virtio-iommu-pci', 'the virtio IOMMU', r);
        const a = i.info.address;
        if (a?.type !== 'pci') ctx.fail('invalid-address', "IOMMU device: 'virtio' needs a PCI address", r);
        if (a!.type === 'pci' && a.bus !== 0) {
          ctx.fail('invalid-address', `The device at PCI address ${a.domain.toString(16).padStart(4, '0')}:${a.bus.toString(16).padStart(2, '0')}:${a.slot.toString(16).padStart(2, '0')}.${a.function} needs to be an integrated device (bus=0)`, r);
        }
        ctx.device({ driver: 'virtio-iommu', id: i.info.alias, ...pciDeviceProps(ctx, a as never) });
        continue;
      }
      if (!isQ35(ctx.machine)) ctx.fail('invalid-config', "IOMMU device: 'intel' is only supported with Q35 machines", r);
      if (i.info.address) ctx.fail('invalid-address', 'the intel IOMMU takes no address', r);
      ctx.requireFlag('intel-iommu', 'the intel IOMMU', r);
      if (i.intremap !== undefined) {
        ctx.requireFlag('intel-iommu.intremap', 'IOMMU interrupt remapping', r);
        if (i.intremap && ctx.domain.features.ioapic !== 'qemu') {
          ctx.fail('invalid-config', "IOMMU interrupt remapping requires split I/O APIC (ioapic driver='qemu')", r);
        }
      }
      if (i.eim !== undefined) {
        ctx.requireFlag('intel-iommu.eim', 'IOMMU extended interrupt mode', r);
        if (i.eim && !i.intremap) ctx.fail('invalid-config', 'IOMMU eim requires interrupt remapping to be enabled', r);
      }
      if (i.cachingMode !== undefined) ctx.requireFlag('intel-iommu.caching-mode', 'IOMMU caching mode', r);
      if (i.iotlb !== undefined) ctx.requireFlag('intel-iommu.device-iotlb', 'IOMMU device IOTLB', r);
      if (i.awBits !== undefined) ctx.requireFlag('intel-iommu.aw-bits', 'IOMMU address width', r);
      const props: Record<string, unknown> = { driver: 'intel-iommu', id: i.info.alias };
      // QEMU types intremap and eim as on/off/auto strings, the others as booleans
      if (i.intremap !== undefined) props.intremap = i.intremap ? 'on' : 'off';
      if (i.cachingMode !== undefined) props['caching-mode'] = i.cachingMode;
      if (i.eim !== undefined) props.eim = i.eim ? 'on' : 'off';
      if (i.iotlb !== undefined) props['device-iotlb'] = i.iotlb;
      if (i.awBits !== undefined) props['aw-bits'] = i.awBits;
      ctx.device(props);
    }
  },
};
