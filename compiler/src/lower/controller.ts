// <controller> → -device for PCI bridges/ports, USB, SCSI, SATA, virtio-serial, CCID, FDC.
import type { Controller } from '../model/devices/controller.js';
import { devicesOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { isQ35 } from './machine.js';
import { busAlias, pciDeviceProps, type PciConnect } from './pci-address.js';
import { usbDeviceProps } from './usb-address.js';
import { virtioProps } from './virtio.js';

const USB_MODELS: Record<string, { driver: string; connect: PciConnect; flag?: string }> = {
  'piix3-uhci': { driver: 'piix3-usb-uhci', connect: 'pci' },
  'piix4-uhci': { driver: 'piix4-usb-uhci', connect: 'pci' },
  'ehci': { driver: 'usb-ehci', connect: 'pci' },
  'ich9-ehci1': { driver: 'ich9-usb-ehci1', connect: 'pci' },
  'ich9-uhci1': { driver: 'ich9-usb-uhci1', connect: 'pci' },
  'ich9-uhci2': { driver: 'ich9-usb-uhci2', connect: 'pci' },
  'ich9-uhci3': { driver: 'ich9-usb-uhci3', connect: 'pci' },
  'vt82c686b-uhci': { driver: 'vt82c686b-usb-uhci', connect: 'pci' },
  'pci-ohci': { driver: 'pci-ohci', connect: 'pci' },
  'nec-xhci': { driver: 'nec-usb-xhci', connect: 'pcie' },
  'qemu-xhci': { driver: 'qemu-xhci', connect: 'pcie' },
};

// ibmvscsi sits on the spapr-vio bus (no PCI slot): libvirt formats it on any machine
const SCSI_MODELS: Record<string, { driver: string; connect: PciConnect | null }> = {
  'ibmvscsi': { driver: 'spapr-vscsi', connect: null },
  'lsilogic': { driver: 'lsi', connect: 'pci' },
  'virtio-scsi': { driver: 'virtio-scsi-pci', connect: 'pcie' },
  'virtio-transitional': { driver: 'virtio-scsi-pci-transitional', connect: 'pci' },
  'virtio-non-transitional': { driver: 'virtio-scsi-pci-non-transitional', connect: 'pcie' },
  'lsisas1068': { driver: 'mptsas1068', connect: 'pci' },
  'lsisas1078': { driver: 'megasas', connect: 'pci' },
  'vmpvscsi': { driver: 'pvscsi', connect: 'pci' },
};

const PCI_MODELS: Record<string, { driver: string; connect: PciConnect }> = {
  'pci-bridge': { driver: 'pci-bridge', connect: 'pci-bridge' },
  'dmi-to-pci-bridge': { driver: 'i82801b11-bridge', connect: 'pci-bridge-parent' },
  'pcie-root-port': { driver: 'pcie-root-port', connect: 'root-port' },
  'pcie-switch-upstream-port': { driver: 'x3130-upstream', connect: 'switch-upstream' },
  'pcie-switch-downstream-port': { driver: 'xio3130-downstream', connect: 'switch-downstream' },
  'pci-expander-bus': { driver: 'pxb', connect: 'pci-expander' },
  'pcie-expander-bus': { driver: 'pxb-pcie', connect: 'pcie-expander' },
  'pcie-to-pci-bridge': { driver: 'pcie-pci-bridge', connect: 'pcie-to-pci-bridge' },
};

const VIRTIO_SERIAL_MODELS: Record<string, string> = {
  virtio: 'virtio-serial-pci', 'virtio-transitional': 'virtio-serial-pci-transitional', 'virtio-non-transitional': 'virtio-serial-pci-non-transitional',
};

/** Add the controllers libvirt adds implicitly and settle model defaults and indexes. */
export function prepareControllers(ctx: LowerContext): void {
  const d = ctx.domain;
  const ctrls = devicesOf(d.devices, 'controller');
  const q35 = isQ35(ctx.machine);
  for (const c of ctrls) {
    // a PCI controller's index is a bus number: 0-255
    if (c.type === 'pci' && c.index > 255) ctx.fail('invalid-controller', `PCI controller index ${c.index} is out of range (0-255)`, c.info.range);
    if (c.index === -1 && c.type === 'pci') {
      // index 0 belongs to the root bus, implicit or not
      c.index = c.model === 'pci-root' || c.model === 'pcie-root' ? 0 : Math.max(0, ...ctrls.filter((o) => o.type === 'pci' && o !== c).map((o) => o.index)) + 1;
    }
    if (c.index === -1) c.index = Math.max(-1, ...ctrls.filter((o) => o.type === c.type && o !== c).map((o) => o.index)) + 1;
  }
  const add = (c: Omit<Controller, 'kind' | 'info' | 'driver' | 'target'> & Partial<Controller>): Controller => {
    const full: Controller = { kind: 'controller', info: { range: d.range, userAlias: false }, driver: {}, target: {}, ...c };
    d.devices.push(full);
    return full;
  };
  const has = (type: string, index = 0): boolean => devicesOf(d.devices, 'controller').some((c) => c.type === type && c.index === index);
  if (!has('pci')) add({ type: 'pci', index: 0, model: q35 ? 'pcie-root' : 'pci-root' });
  if (!q35 && !has('ide')) add({ type: 'ide', index: 0 });
  if (q35 && !has('sata')) add({ type: 'sata', index: 0 });
  if (!has('usb')) add({ type: 'usb', index: 0, model: q35 ? (ctx.has('qemu-xhci') ? 'qemu-xhci' : 'ich9-ehci1') : 'piix3-uhci' });
  for (const c of devicesOf(d.devices, 'controller')) {
    if (c.type === 'usb' && !c.model) c.model = q35 ? (ctx.has('qemu-xhci') ? 'qemu-xhci' : 'ich9-ehci1') : 'piix3-uhci';
    if (c.type === 'scsi' && !c.model) c.model = ctx.has('lsi') ? 'lsilogic' : 'virtio-scsi';
    if (c.type === 'virtio-serial' && !c.model) c.model = 'virtio';
    if (c.type === 'pci' && !c.model) c.model = c.index === 0 ? (q35 ? 'pcie-root' : 'pci-root') : 'pci-bridge';
    if (c.type === 'pci' && c.model === 'pci-root' && q35) ctx.fail('invalid-controller', "q35 machines have a pcie-root, not a pci-root", c.info.range);
    if (c.type === 'pci' && c.model === 'pcie-root' && !q35) ctx.fail('invalid-controller', `machine '${ctx.machine}' has a pci-root, not a pcie-root`, c.info.range);
    if (c.type === 'ide' && q35) ctx.fail('unsupported-controller', 'IDE controllers are not supported on q35 machines (use SATA)', c.info.range);
  }
}

function controllerAlias(c: Controller): string {
  switch (c.type) {
    case 'pci': return busAlias(c);
    case 'usb': return c.index === 0 ? 'usb' : `usb${c.index}`;
    case 'ide': return c.index === 0 ? 'ide' : `ide${c.index}`;
    case 'sata': return c.index === 0 ? 'ide' : `sata${c.index}`; // q35's built-in AHCI is "ide"
    default: return `${c.type}${c.index}`;
  }
}

/** The qdev bus name devices use to attach to this controller. */
export function controllerBusName(c: Controller): string {
  return `${c.info.alias}.0`;
}

export function findController(ctx: LowerContext, type: Controller['type'], index: number): Controller | undefined {
  return devicesOf(ctx.domain.devices, 'controller').find((c) => c.type === type && c.index === index);
}

function isBuiltin(c: Controller, ctx: LowerContext): boolean {
  const q35 = isQ35(ctx.machine);
  if (c.type === 'pci') return c.model === 'pci-root' || c.model === 'pcie-root';
  if (c.type === 'ide') return !q35 && c.index === 0;
  if (c.type === 'sata') return q35 && c.index === 0;
  if (c.type === 'fdc') return true;
  if (c.type === 'usb') return c.model === 'none';
  return false;
}

export const controllerFamily: Family<'controller'> = {
  kind: 'controller',
  assignAliases(devs) {
    for (const c of devs) if (!c.info.alias) c.info.alias = controllerAlias(c);
  },
  pciConnect(c, ctx) {
    if (isBuiltin(c, ctx)) return null;
    switch (c.type) {
      case 'pci': return PCI_MODELS[c.model!]?.connect ?? null;
      case 'usb': return USB_MODELS[c.model!]?.connect ?? 'pci';
      case 'scsi': { const m = SCSI_MODELS[c.model!]; return m ? m.connect : 'pci'; }
      case 'virtio-serial': return c.model === 'virtio-transitional' ? 'pci' : 'pcie';
      case 'sata': return 'pci';
      case 'ide': return 'pci';
      default: return null;
    }
  },
  lower(devs, ctx) {
    const order: Controller['type'][] = ['pci', 'usb', 'scsi', 'ide', 'sata', 'fdc', 'virtio-serial', 'ccid', 'isa'];
    for (const type of order) {
      // a USB2 master comes before its companions, which name it as their masterbus
      const list = devs.filter((c) => c.type === type)
        .sort((a, b) => a.index - b.index || Number(a.masterStartport !== undefined) - Number(b.masterStartport !== undefined));
      for (const c of list) lowerController(c, ctx);
    }
  },
};

function addrProps(c: Controller, ctx: LowerContext): Record<string, unknown> {
  return c.info.address?.type === 'pci' ? pciDeviceProps(ctx, c.info.address) : {};
}

/** libvirt's spapr-vio register for a vscsi controller: 0x2000, the next free one after it
 * for each further controller, in index order. */
function spaprVioReg(c: Controller, ctx: LowerContext): number {
  const vio = devicesOf(ctx.domain.devices, 'controller').filter((x) => x.type === 'scsi' && x.model === 'ibmvscsi').sort((a, b) => a.index - b.index);
  return 0x2000 + vio.indexOf(c);
}

function lowerController(c: Controller, ctx: LowerContext): void {
  if (c.type === 'pci' && c.model === 'pci-root' && c.index === 0 && c.target.hotplug !== undefined) {
    // hotplug on the root bus is an ACPI property of the PIIX4 power management device
    ctx.arg('-global', `PIIX4_PM.acpi-root-pci-hotplug=${c.target.hotplug ? 'on' : 'off'}`);
  }
  if (isBuiltin(c, ctx)) return;
  const id = c.info.alias!;
  switch (c.type) {
    case 'pci': {
      const m = PCI_MODELS[c.model!];
      if (!m) ctx.unsupported(`PCI controller model '${c.model}'`, c.info.range);
      const props: Record<string, unknown> = { driver: c.pciModelName ?? m!.driver };
      if (c.model === 'pci-bridge') props.chassis_nr = c.target.chassisNr ?? c.index;
      if (c.model === 'pcie-root-port' || c.model === 'pcie-switch-downstream-port') {
        const a = c.info.address;
        // a root port's default port number encodes slot and function; a downstream port's is its slot
        const auto = a?.type !== 'pci' ? 0 : c.model === 'pcie-root-port' ? (a.slot << 3) + a.function : a.slot;
        props.port = c.target.port ?? auto;
        props.chassis = c.target.chassis ?? c.index;
      }
      if (c.model === 'pci-expander-bus' || c.model === 'pcie-expander-bus') {
        props.bus_nr = c.target.busNr;
        if (c.target.numaNode !== undefined) props.numa_node = c.target.numaNode;
      }
      if (c.target.hotplug === false) props.hotplug = false;
      props.id = id;
      Object.assign(props, addrProps(c, ctx));
      ctx.device(props);
      return;
    }
    case 'usb': {
      const m = USB_MODELS[c.model!];
      if (!m) ctx.unsupported(`USB controller model '${c.model}'`, c.info.range);
      const props: Record<string, unknown> = { driver: m!.driver };
      if (c.masterStartport !== undefined) {
        props.masterbus = `${c.info.alias}.0`;
        props.firstport = c.masterStartport;
      } else {
        if (c.usbPorts !== undefined && (c.model === 'nec-xhci' || c.model === 'qemu-xhci')) {
          if (c.usbPorts > 15) ctx.fail('invalid-controller', `'${c.model}' controller only supports up to '15' ports`, c.info.range);
          props.p2 = c.usbPorts;
          props.p3 = c.usbPorts;
        }
        props.id = id;
      }
      Object.assign(props, addrProps(c, ctx));
      ctx.device(props);
      return;
    }
    case 'scsi': {
      const m = SCSI_MODELS[c.model!];
      if (!m) ctx.unsupported(`SCSI controller model '${c.model}'`, c.info.range);
      const props: Record<string, unknown> = { driver: m!.driver, id };
      if (c.model === 'ibmvscsi') props.reg = spaprVioReg(c, ctx);
      if (c.model!.startsWith('virtio')) {
        if (c.driver.queues !== undefined) props.num_queues = c.driver.queues;
        if (c.driver.cmdPerLun !== undefined) props.cmd_per_lun = c.driver.cmdPerLun;
        if (c.driver.maxSectors !== undefined) props.max_sectors = c.driver.maxSectors;
        if (c.driver.ioeventfd !== undefined) props.ioeventfd = c.driver.ioeventfd;
        if (c.driver.iothread !== undefined) props.iothread = `iothread${c.driver.iothread}`;
        Object.assign(props, virtioProps(c.driver));
      }
      Object.assign(props, addrProps(c, ctx));
      ctx.device(props);
      return;
    }
    case 'virtio-serial': {
      const driver = VIRTIO_SERIAL_MODELS[c.model!];
      if (!driver) ctx.unsupported(`virtio-serial controller model '${c.model}'`, c.info.range);
      const props: Record<string, unknown> = { driver, id };
      if (c.ports !== undefined) props.max_ports = c.ports;
      if (c.vectors !== undefined) props.vectors = c.vectors;
      Object.assign(props, virtioProps(c.driver));
      Object.assign(props, addrProps(c, ctx));
      ctx.device(props);
      return;
    }
    case 'sata':
      ctx.device({ driver: 'ich9-ahci', id, ...addrProps(c, ctx) });
      return;
    case 'ccid':
      // the smartcard reader is itself a USB device
      ctx.device({ driver: 'usb-ccid', id, ...usbDeviceProps(ctx, c.info) });
      return;
    case 'ide':
      ctx.unsupported(`a second IDE controller (index ${c.index})`, c.info.range);
      return;
    default:
      ctx.unsupported(`<controller type='${c.type}'>`, c.info.range);
  }
}
