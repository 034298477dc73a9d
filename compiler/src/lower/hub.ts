// <hub> → usb-hub on its USB port.
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { usbDeviceProps } from './usb-address.js';

export const hubFamily: Family<'hub'> = {
  kind: 'hub',
  assignAliases(devs) { devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `hub${i}`; }); },
  lower(devs, ctx: LowerContext) {
    for (const h of devs) {
      ctx.requireFlag('usb-hub', 'the USB hub device', h.info.range);
      if (h.info.address && h.info.address.type !== 'usb') ctx.fail('invalid-address', `a USB hub needs a USB address (got '${h.info.address.type}')`, h.info.range);
      ctx.device({ driver: 'usb-hub', id: h.info.alias, ...usbDeviceProps(ctx, h.info) });
    }
  },
};
