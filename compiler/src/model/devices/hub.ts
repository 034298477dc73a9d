// <hub type='usb'>: a USB hub giving more ports.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export interface Hub { kind: 'hub'; type: 'usb'; info: DeviceInfo }

export function readHub(r: ElementReader): Hub {
  const type = r.enumAttr('type', ['usb'] as const);
  if (!type) r.fatal('missing-attribute', "<hub> needs type='usb'");
  return { kind: 'hub', type: type!, info: readDeviceInfo(r, { boot: false }) };
}
