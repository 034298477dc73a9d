// <lease>: a lock-manager lease; it configures the host's lock manager, never QEMU.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export interface Lease { kind: 'lease'; lockspace?: string; key: string; path: string; offset?: number; info: DeviceInfo }

export function readLease(r: ElementReader): Lease {
  const key = r.childText('key');
  if (!key) r.fatal('missing-element', '<lease> needs a <key>');
  const t = r.child('target');
  if (!t) r.fatal('missing-element', '<lease> needs a <target path>');
  return { kind: 'lease', lockspace: r.childText('lockspace'), key: key!, path: t!.requireAttr('path'), offset: t!.intAttr('offset'), info: { range: r.range, userAlias: false } };
}
