// What every device carries: its source range, user alias, guest address and boot order.
// Lowering fills `alias` and `address` when the XML leaves them out (as libvirt does).
import type { Range } from '../diagnostics.js';
import type { ElementReader } from '../xml/reader.js';

export interface PciAddress { type: 'pci'; domain: number; bus: number; slot: number; function: number; multifunction?: boolean }
export interface DriveAddress { type: 'drive'; controller: number; bus: number; target: number; unit: number }
export interface VirtioSerialAddress { type: 'virtio-serial'; controller: number; bus: number; port?: number }
export interface UsbAddress { type: 'usb'; bus: number; port?: string }
export interface IsaAddress { type: 'isa'; iobase?: number; irq?: number }
export interface CcidAddress { type: 'ccid'; controller: number; slot: number }
export interface OtherAddress { type: 'dimm' | 'spapr-vio' | 'ccw' | 'virtio-mmio' | 'unassigned' | 'none'; base?: number; slot?: number }
export type Address = PciAddress | DriveAddress | VirtioSerialAddress | UsbAddress | IsaAddress | CcidAddress | OtherAddress;

export interface AcpiInfo { index?: number }

export interface DeviceInfo {
  range: Range;
  /** alias from <alias name='ua-…'/> or the one lowering assigns */
  alias?: string;
  userAlias: boolean;
  address?: Address;
  bootIndex?: number;
  acpiIndex?: number;
  romBar?: boolean;
  romFile?: string;
  romEnabled?: boolean;
}

function num(r: ElementReader, name: string, dflt = 0): number {
  return r.intAttr(name) ?? dflt;
}

export function readAddress(r: ElementReader): Address {
  const type = r.requireAttr('type');
  switch (type) {
    case 'pci': {
      const a: PciAddress = { type: 'pci', domain: num(r, 'domain'), bus: num(r, 'bus'), slot: num(r, 'slot'), function: num(r, 'function') };
      // PCI's own limits, which libvirt enforces when it reads the address
      for (const [field, max] of [['domain', 0xffff], ['bus', 0xff], ['slot', 0x1f], ['function', 7]] as const) {
        if (a[field] < 0 || a[field] > max) r.fatal('invalid-address', `invalid PCI address ${field}='${r.attr(field)}': it must be at most 0x${max.toString(16)}`, field);
      }
      const mf = r.boolAttr('multifunction');
      if (mf !== undefined) a.multifunction = mf;
      if (r.child('zpci')) r.fatal('unsupported', 'unsupported: <zpci> (s390 PCI) on x86');
      return a;
    }
    case 'drive':
      return { type: 'drive', controller: num(r, 'controller'), bus: num(r, 'bus'), target: num(r, 'target'), unit: num(r, 'unit') };
    case 'virtio-serial': {
      const port = r.intAttr('port');
      return { type: 'virtio-serial', controller: num(r, 'controller'), bus: num(r, 'bus'), ...(port !== undefined ? { port } : {}) };
    }
    case 'usb': {
      const port = r.attr('port');
      return { type: 'usb', bus: num(r, 'bus'), ...(port !== undefined ? { port } : {}) };
    }
    case 'isa': {
      const iobase = r.intAttr('iobase');
      const irq = r.intAttr('irq');
      return { type: 'isa', ...(iobase !== undefined ? { iobase } : {}), ...(irq !== undefined ? { irq } : {}) };
    }
    case 'ccid':
      return { type: 'ccid', controller: num(r, 'controller'), slot: num(r, 'slot') };
    case 'dimm': {
      const slot = r.intAttr('slot');
      const base = r.intAttr('base');
      return { type: 'dimm', ...(slot !== undefined ? { slot } : {}), ...(base !== undefined ? { base } : {}) };
    }
    case 'unassigned':
    case 'none':
      return { type };
    default:
      return r.fatal('unsupported', `unsupported: address type '${type}' on x86_64`, 'type');
  }
}

/** Read <alias>, <address>, <boot order>, <acpi index>, <rom> from a device element. */
export function readDeviceInfo(r: ElementReader, opts: { boot?: boolean; rom?: boolean } = {}): DeviceInfo {
  const info: DeviceInfo = { range: r.range, userAlias: false };
  const alias = r.child('alias');
  if (alias) {
    const name = alias.requireAttr('name');
    if (!name.startsWith('ua-')) {
      // libvirt drops aliases not in the user namespace when defining a domain
    } else {
      info.alias = name;
      info.userAlias = true;
    }
  }
  const addr = r.child('address');
  if (addr) info.address = readAddress(addr);
  if (opts.boot !== false) {
    const boot = r.child('boot');
    if (boot) {
      info.bootIndex = boot.intAttr('order');
      boot.accept('loadparm');
    }
  }
  const acpi = r.child('acpi');
  if (acpi) info.acpiIndex = acpi.intAttr('index');
  if (opts.rom) {
    const rom = r.child('rom');
    if (rom) {
      info.romBar = rom.boolAttr('bar');
      info.romFile = rom.attr('file');
      info.romEnabled = rom.boolAttr('enabled');
    }
  }
  return info;
}
