// <input>: keyboards, mice, tablets, passthrough event devices.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readVirtioDriver, type VirtioDriver } from './virtio.js';

export interface Input {
  kind: 'input';
  type: 'mouse' | 'keyboard' | 'tablet' | 'passthrough' | 'evdev';
  bus: 'ps2' | 'usb' | 'virtio' | 'xen' | 'none';
  model?: string;
  evdev?: string;
  grab?: string;
  grabToggle?: string;
  repeat?: boolean;
  driver: VirtioDriver;
  info: DeviceInfo;
}

export function readInput(r: ElementReader): Input {
  const type = r.enumAttr('type', ['mouse', 'keyboard', 'tablet', 'passthrough', 'evdev'] as const)!;
  const bus = r.enumAttr('bus', ['ps2', 'usb', 'virtio', 'xen', 'none'] as const) ?? (type === 'tablet' ? 'usb' : type === 'passthrough' ? 'virtio' : type === 'evdev' ? 'none' : 'ps2');
  const src = r.child('source');
  return {
    kind: 'input', type, bus, model: r.attr('model'), evdev: src?.attr('evdev') ?? src?.attr('dev'), grab: src?.attr('grab'),
    grabToggle: src?.attr('grabToggle'), repeat: src?.boolAttr('repeat'), driver: readVirtioDriver(r), info: readDeviceInfo(r, { boot: false }),
  };
}
