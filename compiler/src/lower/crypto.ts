// <crypto> → a cryptodev backend object + virtio-crypto-pci.
import type { LowerContext } from './context.js';
import { acpiIndexProps } from './device-props.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';

export const cryptoFamily: Family<'crypto'> = {
  kind: 'crypto',
  assignAliases(devs) { devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `crypto${i}`; }); },
  pciConnect() { return 'pcie'; },
  lower(devs, ctx: LowerContext) {
    for (const c of devs) {
      const r = c.info.range;
      ctx.requireFlag('virtio-crypto', 'the virtio crypto device', r);
      ctx.requireFlag(`cryptodev-backend-${c.backend}`, `the '${c.backend}' crypto backend`, r);
      const alias = c.info.alias!;
      ctx.object({ 'qom-type': `cryptodev-backend-${c.backend}`, id: `obj${alias}`, ...(c.queues !== undefined ? { queues: c.queues } : {}) });
      const props: Record<string, unknown> = { driver: 'virtio-crypto-pci', cryptodev: `obj${alias}`, id: alias };
      if (c.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, c.info.address));
      Object.assign(props, acpiIndexProps(c.info));
      ctx.device(props);
    }
  },
};
