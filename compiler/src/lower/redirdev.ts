// <redirdev bus='usb'> → a chardev plus usb-redir, with the domain's <redirfilter> rules.
import type { Redirfilter } from '../model/devices/redirdev.js';
import { devicesOf } from '../model/devices/index.js';
import { lowerChardev, validateChrSource } from './chardev.js';
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { usbDeviceProps } from './usb-address.js';

const hex = (n: number, width: number): string => `0x${n.toString(16).toUpperCase().padStart(width, '0')}`;

/** usb-redir's filter syntax: class:vendor:product:version:allow rules joined by '|'. */
function filterString(f: Redirfilter): string {
  return f.rules.map((r) => [
    r.usbClass >= 0 ? hex(r.usbClass, 2) : '-1', r.vendor >= 0 ? hex(r.vendor, 4) : '-1',
    r.product >= 0 ? hex(r.product, 4) : '-1', r.version >= 0 ? hex(r.version, 4) : '-1', r.allow ? '1' : '0',
  ].join(':')).join('|');
}

export const redirdevFamily: Family<'redirdev'> = {
  kind: 'redirdev',
  assignAliases(devs) {
    devs.forEach((d, i) => { if (!d.info.alias) d.info.alias = `redir${i}`; });
  },
  lower(devs, ctx) {
    const filter = devicesOf(ctx.domain.devices, 'redirfilter')[0];
    for (const r of devs) {
      ctx.requireFlag('usb-redir', 'USB redirection (usb-redir)', r.info.range);
      if (filter && filter.rules.length) ctx.requireFlag('usb-redir.filter', 'USB redirection filters', filter.info.range);
      if (r.source.type === 'dbus' && !r.source.channel) r.source.channel = 'org.qemu.usbredir';
      validateChrSource(ctx, r.source);
      const alias = r.info.alias!;
      const chardev = lowerChardev(ctx, r.source, alias);
      const props: Record<string, unknown> = { driver: 'usb-redir', chardev, id: alias };
      if (filter && filter.rules.length) props.filter = filterString(filter);
      if (r.info.bootIndex !== undefined) props.bootindex = r.info.bootIndex;
      Object.assign(props, usbDeviceProps(ctx, r.info));
      ctx.device(props);
    }
  },
};

/** The filter has no option of its own: every usb-redir device carries it. */
export const redirfilterFamily: Family<'redirfilter'> = {
  kind: 'redirfilter',
  lower(devs, ctx) {
    if (devs.length > 1) ctx.fail('invalid-redirfilter', 'only one <redirfilter> is allowed', devs[1]!.info.range);
  },
};
