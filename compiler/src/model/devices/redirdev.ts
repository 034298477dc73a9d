// <redirdev>: a USB device redirected over a chardev (usb-redir), and <redirfilter>, the
// rules every usb-redir device applies.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readChrSource, type ChrSource } from './chardev.js';

export interface Redirdev {
  kind: 'redirdev';
  source: ChrSource;
  info: DeviceInfo;
}

/** One <usbdev> rule; -1 matches anything. */
export interface RedirFilterRule { usbClass: number; vendor: number; product: number; version: number; allow: boolean }

export interface Redirfilter {
  kind: 'redirfilter';
  rules: RedirFilterRule[];
  info: DeviceInfo;
}

export function readRedirdev(r: ElementReader): Redirdev {
  const bus = r.attr('bus');
  if (bus !== undefined && bus !== 'usb') r.fatal('invalid-value', `redirdev bus must be 'usb' (got '${bus}')`, 'bus');
  const source = readChrSource(r);
  if (source.type === 'spicevmc') source.spicevmc = 'usbredir';
  return { kind: 'redirdev', source, info: readDeviceInfo(r, { boot: true }) };
}

/** A hex number (with or without 0x) up to `max`, or -1 for "any". */
function anyOrHex(r: ElementReader, name: string, max: number): number {
  const v = r.attr(name);
  if (v === undefined || v === '-1') return -1;
  const t = v.replace(/^0x/i, '');
  const n = /^[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : NaN;
  if (!Number.isFinite(n) || n > max) r.fatal('invalid-value', `invalid USB ${name} '${v}' in <redirfilter>`, name);
  return n;
}

/** "major.minor" as BCD-style hex fields: 1.10 → 0x0110. */
function usbVersion(r: ElementReader): number {
  const v = r.attr('version');
  if (v === undefined || v === '-1') return -1;
  const m = /^([0-9a-f]+)\.([0-9a-f]+)$/i.exec(v);
  const major = m ? parseInt(m[1]!, 16) : NaN;
  const minor = m ? parseInt(m[2]!, 16) : NaN;
  if (!m || major > 0xff || minor > 0xff) r.fatal('invalid-value', `invalid USB version '${v}' in <redirfilter>`, 'version');
  return (major << 8) | minor;
}

export function readRedirfilter(r: ElementReader): Redirfilter {
  const rules = r.children('usbdev').map((u) => {
    const allow = u.boolAttr('allow');
    if (allow === undefined) u.fatal('missing-attribute', "<usbdev> needs attribute 'allow'");
    return { usbClass: anyOrHex(u, 'class', 0xff), vendor: anyOrHex(u, 'vendor', 0xffff), product: anyOrHex(u, 'product', 0xffff), version: usbVersion(u), allow: allow! };
  });
  return { kind: 'redirfilter', rules, info: { range: r.range, userAlias: false } };
}
