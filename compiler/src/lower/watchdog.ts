// <watchdog> → the watchdog -device and -watchdog-action.
import type { LowerContext } from './context.js';
import { acpiIndexProps } from './device-props.js';
import type { Family } from './family.js';
import { pciDeviceProps } from './pci-address.js';

export const watchdogFamily: Family<'watchdog'> = {
  kind: 'watchdog',
  assignAliases(devs) { devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `watchdog${i}`; }); },
  pciConnect(d) { return d.model === 'i6300esb' ? 'pci' : null; },
  lower(devs, ctx: LowerContext) {
    if (devs.length > 1) ctx.fail('invalid-config', 'only one watchdog device is supported', devs[1]!.info.range);
    for (const w of devs) {
      const r = w.info.range;
      if (w.model === 'diag288') ctx.unsupported("<watchdog model='diag288'>", r, 's390 only');
      if (w.model === 'ib700' && w.info.address) ctx.fail('invalid-address', 'the ib700 watchdog is an ISA device and takes no address', r);
      if (w.model === 'i6300esb' && w.info.address && w.info.address.type !== 'pci') ctx.fail('invalid-address', `the i6300esb watchdog needs a PCI address (got '${w.info.address.type}')`, r);
      const props: Record<string, unknown> = { driver: w.model, id: w.info.alias };
      if (w.info.address?.type === 'pci') Object.assign(props, pciDeviceProps(ctx, w.info.address), acpiIndexProps(w.info));
      ctx.device(props);
      // QEMU has no 'dump' action: it pauses the guest and the management layer takes the dump
      ctx.arg('-watchdog-action', w.action === 'dump' ? 'pause' : w.action);
    }
  },
};
