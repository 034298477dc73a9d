// <vsock> → vhost-vsock-pci with the CID and an fd of /dev/vhost-vsock from the runtime.
import type { LowerContext } from './context.js';
import { acpiIndexProps } from './device-props.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';
import { virtioDriverName, virtioProps } from './virtio.js';

export const vsockFamily: Family<'vsock'> = {
  kind: 'vsock',
  assignAliases(devs) { for (const d of devs) if (!d.info.alias) d.info.alias = 'vsock0'; },
  pciConnect(d) { return d.model === 'virtio-transitional' ? 'pci' : 'pcie'; },
  lower(devs, ctx: LowerContext) {
    if (devs.length > 1) ctx.fail('invalid-config', 'only one vsock device is supported', devs[1]!.info.range);
    for (const v of devs) {
      const r = v.info.range;
      ctx.requireFlag('vhost-vsock', 'the vhost-vsock device', r);
      if (v.info.address && v.info.address.type !== 'pci') ctx.fail('invalid-address', `a vsock device needs a PCI address (got '${v.info.address.type}')`, r);
      if (v.autoCid || v.cid === undefined) {
        ctx.unsupported("<vsock><cid auto='yes'>", r, "picking a free CID needs the host's vsock state; give <cid auto='no' address='N'/>");
      }
      const fd = ctx.passFd({ kind: 'vhost-vsock', path: '/dev/vhost-vsock' });
      const props: Record<string, unknown> = {
        driver: virtioDriverName('vhost-vsock-pci', v.model), ...virtioProps(v.driver), id: v.info.alias, 'guest-cid': v.cid, vhostfd: String(fd),
      };
      if (v.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, v.info.address));
      Object.assign(props, acpiIndexProps(v.info));
      ctx.device(props);
    }
  },
};
