// <memballoon> → virtio-balloon-pci.
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';
import { virtioDriverName, virtioProps } from './virtio.js';

export const memballoonFamily: Family<'memballoon'> = {
  kind: 'memballoon',
  assignAliases(devs) { for (const d of devs) if (!d.info.alias) d.info.alias = 'balloon0'; },
  pciConnect(d) {
    if (d.model === 'none') return null;
    return d.model === 'virtio-transitional' ? 'pci' : 'pcie';
  },
  lower(devs, ctx: LowerContext) {
    for (const b of devs) {
      if (b.model === 'none') continue;
      if (b.model === 'xen') ctx.unsupported("<memballoon model='xen'>", b.info.range);
      const props: Record<string, unknown> = { driver: virtioDriverName('virtio-balloon-pci', b.model), id: b.info.alias };
      if (b.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, b.info.address));
      if (b.autodeflate !== undefined) props['deflate-on-oom'] = b.autodeflate;
      if (b.freePageReporting !== undefined) props['free-page-reporting'] = b.freePageReporting;
      Object.assign(props, virtioProps(b.driver));
      ctx.device(props);
      if (b.statsPeriod) {
        ctx.qmp.push({ execute: 'qom-set', arguments: { path: `/machine/peripheral/${b.info.alias}`, property: 'guest-stats-polling-interval', value: b.statsPeriod }, purpose: 'balloon statistics polling period' });
      }
    }
  },
};
