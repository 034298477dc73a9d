// <watchdog>: an emulated hardware watchdog and what happens when it fires.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export const WATCHDOG_ACTIONS = ['reset', 'shutdown', 'poweroff', 'pause', 'dump', 'none', 'inject-nmi'] as const;

export interface Watchdog {
  kind: 'watchdog';
  model: 'i6300esb' | 'ib700' | 'diag288';
  action: (typeof WATCHDOG_ACTIONS)[number];
  info: DeviceInfo;
}

export function readWatchdog(r: ElementReader): Watchdog {
  const model = r.enumAttr('model', ['i6300esb', 'ib700', 'diag288'] as const);
  if (!model) r.fatal('missing-attribute', '<watchdog> needs a model');
  return { kind: 'watchdog', model: model!, action: r.enumAttr('action', WATCHDOG_ACTIONS) ?? 'reset', info: readDeviceInfo(r, { boot: false }) };
}
