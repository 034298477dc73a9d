// <devices><nvram>: the pSeries NVRAM device (not the firmware NVRAM under <os>).
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export interface NvramDevice { kind: 'nvram'; info: DeviceInfo }

export function readNvramDevice(r: ElementReader): NvramDevice {
  return { kind: 'nvram', info: readDeviceInfo(r, { boot: false }) };
}
