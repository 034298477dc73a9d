// <controller>: buses that other devices plug into.
import type { ElementReader } from '../../xml/reader.js';
import { readDeviceInfo, type DeviceInfo } from '../device-info.js';

export const CONTROLLER_TYPES = ['pci', 'usb', 'ide', 'sata', 'scsi', 'virtio-serial', 'fdc', 'ccid', 'xenbus', 'isa'] as const;
export type ControllerType = (typeof CONTROLLER_TYPES)[number];

export interface Controller {
  kind: 'controller';
  type: ControllerType;
  /** -1 until lowering assigns the next free index of this type */
  index: number;
  model?: string;
  info: DeviceInfo;
  /** virtio-serial */
  ports?: number;
  vectors?: number;
  /** usb */
  usbPorts?: number;
  /** <master startport> for USB companion controllers */
  masterStartport?: number;
  /** <driver> options (scsi, virtio-serial) */
  driver: { queues?: number; cmdPerLun?: number; maxSectors?: number; ioeventfd?: boolean; iothread?: number; iommu?: boolean; ats?: boolean; packed?: boolean; pagePerVq?: boolean };
  /** pci controllers: <model name> and <target> */
  pciModelName?: string;
  target: { chassisNr?: number; chassis?: number; port?: number; busNr?: number; index?: number; hotplug?: boolean; memReserveKiB?: number; numaNode?: number };
}

export function readController(r: ElementReader): Controller {
  const type = r.enumAttr('type', CONTROLLER_TYPES)!;
  if (!type) r.fatal('missing-attribute', "<controller> needs a type");
  const c: Controller = {
    kind: 'controller', type, index: r.intAttr('index') ?? -1, model: r.attr('model'),
    info: readDeviceInfo(r, { boot: false }), driver: {}, target: {},
  };
  c.ports = r.intAttr('ports');
  c.vectors = r.intAttr('vectors');
  if (type === 'usb') c.usbPorts = c.ports;
  r.accept('maxGrantFrames', 'maxEventChannels');
  const master = r.child('master');
  if (master) c.masterStartport = master.intAttr('startport');
  const drv = r.child('driver');
  if (drv) {
    c.driver = {
      queues: drv.intAttr('queues'), cmdPerLun: drv.intAttr('cmd_per_lun'), maxSectors: drv.intAttr('max_sectors'),
      ioeventfd: drv.boolAttr('ioeventfd'), iothread: drv.intAttr('iothread'), iommu: drv.boolAttr('iommu'),
      ats: drv.boolAttr('ats'), packed: drv.boolAttr('packed'), pagePerVq: drv.boolAttr('page_per_vq'),
    };
    if (drv.child('iothreads')) drv.fatal('unsupported', 'unsupported: <iothreads> mapping for controllers');
  }
  const mn = r.child('model');
  if (mn) c.pciModelName = mn.attr('name');
  const tgt = r.child('target');
  if (tgt) {
    c.target = {
      chassisNr: tgt.intAttr('chassisNr'), chassis: tgt.intAttr('chassis'), port: tgt.intAttr('port'),
      busNr: tgt.intAttr('busNr'), index: tgt.intAttr('index'), hotplug: tgt.boolAttr('hotplug'),
    };
    const node = tgt.child('node');
    if (node) c.target.numaNode = Number(node.text());
  }
  const pcihole = r.child('pcihole64');
  if (pcihole) r.fatal('unsupported', 'unsupported: <pcihole64>');
  return c;
}
