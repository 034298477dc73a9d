// <panic>: how the guest reports a crash to the host.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export interface Panic {
  kind: 'panic';
  /** undefined: the architecture's default (isa on x86) */
  model?: 'isa' | 'pseries' | 'hyperv' | 's390' | 'pvpanic';
  info: DeviceInfo;
}

export function readPanic(r: ElementReader): Panic {
  return { kind: 'panic', model: r.enumAttr('model', ['isa', 'pseries', 'hyperv', 's390', 'pvpanic'] as const), info: readDeviceInfo(r, { boot: false }) };
}
