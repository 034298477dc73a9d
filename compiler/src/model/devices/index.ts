// The device families. Each family module reads its own elements; an element with no
// reader is rejected as unsupported (never dropped).
import type { ElementReader } from '../../xml/reader.js';
import { readController, type Controller } from './controller.js';
import { readMemballoon, type Memballoon } from './memballoon.js';
import { readInput, type Input } from './input.js';

export type Device = Controller | Memballoon | Input;

const READERS: Record<string, (r: ElementReader) => Device> = {
  controller: readController,
  memballoon: readMemballoon,
  input: readInput,
};

export function readDevices(devices: ElementReader): Device[] {
  const out: Device[] = [];
  for (const c of devices.allChildren()) {
    if (c.el.ns !== null) c.fatal('unsupported', `unsupported: <${c.el.name}> in <devices>`);
    if (c.name === 'emulator') continue;
    const read = READERS[c.name];
    if (!read) c.fatal('unsupported', `unsupported: <${c.name}> at ${c.range.start.line}:${c.range.start.column}`);
    out.push(read!(c));
  }
  return out;
}

/** Devices of a kind given by name (kinds of families that may not exist yet included). */
export function devicesByKind(list: readonly Device[], kind: string): Device[] {
  return list.filter((d) => d.kind === kind);
}

export type DeviceOf<K extends Device['kind']> = Extract<Device, { kind: K }>;

export function devicesOf<K extends Device['kind']>(list: readonly Device[], kind: K): DeviceOf<K>[] {
  return list.filter((d): d is DeviceOf<K> => d.kind === kind);
}
