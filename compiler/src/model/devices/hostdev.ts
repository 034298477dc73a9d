// <hostdev>: host devices assigned to the guest (USB, PCI via VFIO, mediated devices, vhost-scsi).
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';
import { readVirtioDriver, type VirtioDriver } from './virtio.js';

export type HostdevSource =
  | { type: 'usb'; bus?: number; device?: number; vendor?: string; product?: string; guestReset?: 'off' | 'uninitialized' | 'on' }
  | { type: 'pci'; domain: number; bus: number; slot: number; function: number; driverName?: string }
  | { type: 'mdev'; uuid: string; model: 'vfio-pci' | 'vfio-ccw' | 'vfio-ap'; display?: boolean; ramfb?: boolean }
  | { type: 'scsi_host'; protocol: string; wwpn: string; model?: 'virtio' | 'virtio-transitional' | 'virtio-non-transitional' }
  | { type: 'scsi'; protocol?: string };

export interface Hostdev {
  kind: 'hostdev';
  mode: 'subsystem' | 'capabilities';
  managed?: boolean;
  source: HostdevSource;
  driver: VirtioDriver;
  info: DeviceInfo;
}

export function readHostdev(r: ElementReader): Hostdev {
  const mode = r.enumAttr('mode', ['subsystem', 'capabilities'] as const) ?? 'subsystem';
  if (mode === 'capabilities') r.fatal('unsupported', "unsupported: <hostdev mode='capabilities'> (container-only)", 'mode');
  const type = r.enumAttr('type', ['usb', 'pci', 'scsi', 'scsi_host', 'mdev'] as const);
  if (!type) r.fatal('missing-attribute', '<hostdev> needs a type');
  const managed = r.boolAttr('managed');
  const src = r.child('source');
  if (!src) r.fatal('missing-element', '<hostdev> needs a <source>');
  let source: HostdevSource;
  let driver: VirtioDriver = {};
  switch (type) {
    case 'usb': {
      const a = src!.child('address');
      source = {
        type, bus: a?.intAttr('bus'), device: a?.intAttr('device'), vendor: src!.child('vendor')?.requireAttr('id'), product: src!.child('product')?.requireAttr('id'),
        guestReset: src!.enumAttr('guestReset', ['off', 'uninitialized', 'on'] as const),
      };
      src!.accept('startupPolicy'); // what to do when the device is missing at start: a runtime concern
      break;
    }
    case 'pci': {
      const a = src!.child('address');
      if (!a) src!.fatal('missing-element', 'a PCI host device needs <source><address domain bus slot function/>');
      source = { type, domain: a!.intAttr('domain') ?? 0, bus: a!.intAttr('bus') ?? 0, slot: a!.intAttr('slot') ?? 0, function: a!.intAttr('function') ?? 0, driverName: r.child('driver')?.attr('name') };
      break;
    }
    case 'mdev': {
      const a = src!.child('address');
      if (!a) src!.fatal('missing-element', 'a mediated device needs <source><address uuid/>');
      const model = r.enumAttr('model', ['vfio-pci', 'vfio-ccw', 'vfio-ap'] as const);
      if (!model) r.fatal('missing-attribute', "a mediated device needs a model (e.g. 'vfio-pci')");
      source = { type, uuid: a!.requireAttr('uuid').toLowerCase(), model: model!, display: r.boolAttr('display'), ramfb: r.boolAttr('ramfb') };
      break;
    }
    case 'scsi_host': {
      const protocol = src!.requireAttr('protocol');
      source = { type, protocol, wwpn: src!.requireAttr('wwpn'), model: r.enumAttr('model', ['virtio', 'virtio-transitional', 'virtio-non-transitional'] as const) };
      driver = readVirtioDriver(r);
      break;
    }
    default:
      // host SCSI passthrough is rejected as a whole by lowering; its source needs the host's SCSI state
      src!.acceptSubtree();
      r.child('readonly'); r.child('shareable');
      source = { type: 'scsi', protocol: src!.attr('protocol') };
  }
  return { kind: 'hostdev', mode, managed, source, driver, info: readDeviceInfo(r, { rom: true }) };
}
