// <rng>: the virtio entropy device and its host source.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readChrSource, type ChrSource } from './chardev.js';
import { readVirtioDriver, type VirtioDriver } from './virtio.js';

export interface Rng {
  kind: 'rng';
  model: 'virtio' | 'virtio-transitional' | 'virtio-non-transitional';
  backend: { model: 'random'; file?: string } | { model: 'egd'; chardev: ChrSource } | { model: 'builtin' };
  rate?: { bytes: number; period?: number };
  driver: VirtioDriver;
  info: DeviceInfo;
}

export function readRng(r: ElementReader): Rng {
  const model = r.enumAttr('model', ['virtio', 'virtio-transitional', 'virtio-non-transitional'] as const);
  if (!model) r.fatal('missing-attribute', '<rng> needs a model');
  const b = r.child('backend');
  if (!b) r.fatal('missing-element', '<rng> needs a <backend>');
  const bm = b!.enumAttr('model', ['random', 'egd', 'builtin'] as const);
  if (!bm) b!.fatal('missing-attribute', '<backend> needs a model');
  let backend: Rng['backend'];
  if (bm === 'random') backend = { model: 'random', ...(b!.text() ? { file: b!.text() } : {}) };
  else if (bm === 'egd') backend = { model: 'egd', chardev: readChrSource(b!) };
  else backend = { model: 'builtin' };
  const rate = r.child('rate');
  const rng: Rng = { kind: 'rng', model: model!, backend, driver: readVirtioDriver(r), info: readDeviceInfo(r, { boot: false }) };
  if (rate) {
    const bytes = rate.intAttr('bytes');
    if (bytes === undefined || bytes <= 0) rate.fatal('invalid-value', '<rate> needs a positive bytes attribute', 'bytes');
    const period = rate.intAttr('period');
    if (period !== undefined && period <= 0) rate.fatal('invalid-value', 'period must be positive', 'period');
    rng.rate = { bytes: bytes!, ...(period !== undefined ? { period } : {}) };
  }
  return rng;
}
