// USB port assignment, settled before any option is written, as libvirt does it
// (qemuDomainAssignUSBAddresses): every USB controller is a hub with a fixed number of
// ports (UHCI companions add none: their master EHCI counts for the set), hubs add 8 ports
// each and nest ("1.2" is port 2 of the hub on port 1). Explicit addresses are reserved
// first, then hubs, then the other devices in libvirt's fixed order take the first free
// port, searching a hub's own ports before the hubs plugged into it.
import type { DeviceInfo, UsbAddress } from '../model/device-info.js';
import type { Device } from '../model/devices/index.js';
import { devicesOf } from '../model/devices/index.js';
import type { Controller } from '../model/devices/controller.js';
import type { LowerContext } from './context.js';

const HUB_PORTS = 8;
/** libvirt keeps at most this many levels in a port path */
const MAX_PORT_DEPTH = 5;

const CONTROLLER_PORTS: Record<string, number> = {
  'piix3-uhci': 2, 'piix4-uhci': 2, 'vt82c686b-uhci': 2, 'ehci': 6, 'ich9-ehci1': 6,
  'ich9-uhci1': 0, 'ich9-uhci2': 0, 'ich9-uhci3': 0, 'pci-ohci': 3, 'nec-xhci': 4, 'qemu-xhci': 4,
};

function controllerPorts(c: Controller): number {
  if (c.model === 'nec-xhci' || c.model === 'qemu-xhci') return c.usbPorts ?? 4;
  return CONTROLLER_PORTS[c.model ?? ''] ?? 0;
}

interface UsbHub { used: boolean[]; hubs: (UsbHub | undefined)[] }

const newHub = (n: number): UsbHub => ({ used: new Array<boolean>(n).fill(false), hubs: new Array<UsbHub | undefined>(n).fill(undefined) });

class UsbFail {
  constructor(readonly message: string, readonly info: DeviceInfo) {}
}

/** Port path "1.2" as numbers; [] when the address asks for a port to be chosen. */
function portPath(a: UsbAddress, info: DeviceInfo): number[] {
  if (a.port === undefined || a.port === '') return [];
  const parts = a.port.split('.');
  if (parts.length > MAX_PORT_DEPTH || parts.some((p) => !/^\d+$/.test(p))) {
    throw new UsbFail(`Cannot parse <address> 'port' attribute '${a.port}' (at most ${MAX_PORT_DEPTH} levels of numbers)`, info);
  }
  const path = parts.map(Number);
  return path[0] === 0 ? [] : path;
}

/** The USB devices in the order libvirt walks them (virDomainUSBDeviceDefForeach). */
function usbDevices(ctx: LowerContext, withHubs: boolean): Device[] {
  const devs = ctx.domain.devices;
  return [
    ...(withHubs ? devicesOf(devs, 'hub').filter((h) => h.type === 'usb') : []),
    ...devicesOf(devs, 'hostdev').filter((h) => h.mode === 'subsystem' && h.source.type === 'usb'),
    ...devicesOf(devs, 'disk').filter((d) => d.target.bus === 'usb'),
    ...devicesOf(devs, 'interface').filter((n) => n.model === 'usb-net'),
    ...devicesOf(devs, 'controller').filter((c) => c.type === 'ccid'),
    ...devicesOf(devs, 'input').filter((i) => i.bus === 'usb'),
    ...devicesOf(devs, 'serial').filter((s) => s.targetType === 'usb-serial'),
    ...devicesOf(devs, 'sound').filter((s) => s.model === 'usb'),
    ...devicesOf(devs, 'redirdev'),
  ];
}

const usbAddr = (dev: Device): UsbAddress | undefined => (dev.info.address?.type === 'usb' ? dev.info.address : undefined);

/** Give every USB device a bus and port (libvirt's qemuDomainAssignUSBAddresses). */
export function assignUsbAddresses(ctx: LowerContext): void {
  const d = ctx.domain;
  const ctrls = devicesOf(d.devices, 'controller').filter((c) => c.type === 'usb');
  const count = usbDevices(ctx, true).length;
  if (count > 0 && !ctrls.some((c) => c.model !== 'none')) {
    ctx.fail('usb-disabled', 'USB is disabled for this domain, but USB devices are present in the domain XML', usbDevices(ctx, true)[0]!.info.range);
  }
  if (!count) return;
  // not enough ports: add hubs, each giving 8 ports for the one it takes
  const available = ctrls.reduce((n, c) => n + controllerPorts(c), 0) + devicesOf(d.devices, 'hub').filter((h) => h.type === 'usb').length * HUB_PORTS;
  const hubsNeeded = count > available ? Math.ceil((count - available + 1) / (HUB_PORTS - 1)) : 0;
  for (let i = 0; i < hubsNeeded; i++) {
    const alias = `hub${devicesOf(d.devices, 'hub').length}`;
    d.devices.push({ kind: 'hub', type: 'usb', info: { range: d.range, userAlias: false, alias } });
  }

  try {
    const buses = new Map<number, UsbHub>();
    for (const c of ctrls) {
      const n = controllerPorts(c);
      if (n === 0) continue;
      if (buses.has(c.index)) throw new UsbFail(`Duplicate USB controllers with index ${c.index}`, c.info);
      buses.set(c.index, newHub(n));
    }
    const findPort = (info: DeviceInfo, a: UsbAddress, path: number[]): [UsbHub, number] => {
      let hub = buses.get(a.bus);
      if (!hub) throw new UsbFail(`Missing USB bus ${a.bus}`, info);
      const portStr = path.join('.');
      for (const p of path.slice(0, -1)) {
        if (p > hub.used.length) throw new UsbFail(`port ${p} out of range in USB address bus: ${a.bus} port: ${portStr}`, info);
        const next: UsbHub | undefined = hub.hubs[p - 1];
        if (!next) throw new UsbFail(`there is no hub at port ${p} in USB address bus: ${a.bus} port: ${portStr}`, info);
        hub = next;
      }
      const target = path[path.length - 1]! - 1;
      if (target >= hub.used.length) throw new UsbFail(`requested USB port ${portStr} not present on USB bus ${a.bus}`, info);
      return [hub, target];
    };
    const addHub = (info: DeviceInfo, a: UsbAddress, path: number[]): void => {
      const [parent, target] = findPort(info, a, path);
      if (parent.hubs[target]) throw new UsbFail(`Duplicate USB hub on bus ${a.bus} port ${path.join('.')}`, info);
      parent.used[target] = true;
      parent.hubs[target] = newHub(HUB_PORTS);
    };
    const reserve = (info: DeviceInfo, a: UsbAddress, path: number[]): void => {
      const [hub, target] = findPort(info, a, path);
      if (hub.used[target]) throw new UsbFail(`Duplicate USB address bus ${a.bus} port ${path.join('.')}`, info);
      hub.used[target] = true;
    };
    const freePort = (hub: UsbHub, level: number): number[] | undefined => {
      const free = hub.used.indexOf(false);
      if (free >= 0) return [free + 1];
      if (level >= MAX_PORT_DEPTH - 1) return undefined;
      for (let i = 0; i < hub.hubs.length; i++) {
        const sub = hub.hubs[i];
        const rest = sub && freePort(sub, level + 1);
        if (rest) return [i + 1, ...rest];
      }
      return undefined;
    };
    const assign = (dev: Device): number[] => {
      const a = usbAddr(dev);
      const candidates = a ? [a.bus] : [...buses.keys()].sort((x, y) => x - y);
      if (a && !buses.has(a.bus)) throw new UsbFail(`USB bus ${a.bus} requested but no controller with that index is present`, dev.info);
      for (const bus of candidates) {
        const path = freePort(buses.get(bus)!, 0);
        if (!path) continue;
        const addr: UsbAddress = { type: 'usb', bus, port: path.join('.') };
        reserve(dev.info, addr, path);
        dev.info.address = addr;
        return path;
      }
      throw new UsbFail('No free USB ports', dev.info);
    };
    const needsPort = (dev: Device): boolean => {
      const a = dev.info.address;
      return !a || (a.type === 'usb' && !portPath(a, dev.info).length);
    };

    const hubs = devicesOf(d.devices, 'hub').filter((h) => h.type === 'usb');
    for (const h of hubs) {
      const a = usbAddr(h);
      const path = a ? portPath(a, h.info) : [];
      if (a && path.length) addHub(h.info, a, path);
    }
    for (const dev of usbDevices(ctx, false)) {
      const a = usbAddr(dev);
      const path = a ? portPath(a, dev.info) : [];
      if (a && path.length) reserve(dev.info, a, path);
    }
    for (const h of hubs) {
      if (!needsPort(h)) continue;
      const path = assign(h);
      const [parent, target] = findPort(h.info, usbAddr(h)!, path);
      parent.hubs[target] = newHub(HUB_PORTS);
    }
    for (const dev of usbDevices(ctx, false)) if (needsPort(dev)) assign(dev);
  } catch (e) {
    if (!(e instanceof UsbFail)) throw e;
    ctx.fail('usb-address', e.message, e.info.range);
  }
}

/** `bus`/`port` of a USB device from the address settled by assignUsbAddresses. */
export function usbDeviceProps(ctx: LowerContext, info: DeviceInfo): Record<string, unknown> {
  const a = info.address;
  if (a?.type !== 'usb') return {};
  const ctrl = devicesOf(ctx.domain.devices, 'controller').find((c) => c.type === 'usb' && c.index === a.bus);
  if (!ctrl) ctx.fail('usb-address', `Missing USB bus ${a.bus}`, info.range);
  const props: Record<string, unknown> = { bus: `${ctrl!.info.alias}.0` };
  if (a.port !== undefined && a.port !== '' && !/^0(\.|$)/.test(a.port)) props.port = a.port;
  return props;
}
