// USB port assignment: devices without <address type='usb'> take the next free port
// of the first USB controller, like libvirt (ports are 1-based, hubs add sub-ports "1.2").
import type { DeviceInfo } from '../model/device-info.js';
import { devicesOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';

const USB_PORTS: Record<string, number> = {
  'piix3-uhci': 2, 'piix4-uhci': 2, 'ehci': 6, 'ich9-ehci1': 6, 'ich9-uhci1': 2, 'ich9-uhci2': 2, 'ich9-uhci3': 2,
  'vt82c686b-uhci': 2, 'pci-ohci': 3, 'nec-xhci': 4, 'qemu-xhci': 4,
};

export function usbPortCount(model: string | undefined, ports?: number): number {
  return ports ?? USB_PORTS[model ?? ''] ?? 2;
}

/** `bus`/`port` of a USB device, assigning a free port when the XML gives none. */
export function usbDeviceProps(ctx: LowerContext, info: DeviceInfo): Record<string, unknown> {
  const ctrls = devicesOf(ctx.domain.devices, 'controller').filter((c) => c.type === 'usb' && c.model !== 'none' && c.masterStartport === undefined);
  if (!ctrls.length) ctx.fail('no-usb-controller', 'a USB device needs a USB controller, but the domain has none (or model none)', info.range);
  let addr = info.address;
  if (!addr || addr.type !== 'usb' || addr.port === undefined) {
    const bus = addr?.type === 'usb' ? addr.bus : ctrls[0]!.index;
    const ctrl = ctrls.find((c) => c.index === bus) ?? ctrls[0]!;
    const used = ctx.usbPortsUsed.get(ctrl.index) ?? new Set<string>();
    ctx.usbPortsUsed.set(ctrl.index, used);
    const companions = devicesOf(ctx.domain.devices, 'controller').filter((c) => c.type === 'usb' && c.index === ctrl.index && c.masterStartport !== undefined);
    const total = usbPortCount(ctrl.model, ctrl.usbPorts) + companions.reduce((s, c) => s + usbPortCount(c.model, c.usbPorts), 0);
    let port = 1;
    while (used.has(String(port)) && port <= total) port++;
    if (port > total) ctx.fail('usb-ports-exhausted', `no free port on USB controller ${ctrl.index} (${total} ports)`, info.range);
    used.add(String(port));
    addr = { type: 'usb', bus: ctrl.index, port: String(port) };
    info.address = addr;
  } else {
    const used = ctx.usbPortsUsed.get(addr.bus) ?? new Set<string>();
    used.add(addr.port!);
    ctx.usbPortsUsed.set(addr.bus, used);
  }
  const ctrl = devicesOf(ctx.domain.devices, 'controller').find((c) => c.type === 'usb' && c.index === addr!.bus && c.masterStartport === undefined);
  if (!ctrl) ctx.fail('no-usb-controller', `USB bus ${addr.bus} does not exist`, info.range);
  return { bus: `${ctrl!.info.alias}.0`, port: (addr as { port: string }).port };
}
