// PCI address assignment, following libvirt's rules for x86 machines: fixed chipset slots,
// explicit addresses first, then every device that needs a slot in libvirt's device order,
// filling the first bus that accepts it. On q35, PCI Express endpoints each take a
// pcie-root-port (added when the domain has too few), and root ports share slots of pcie.0
// eight functions at a time.
import type { Range } from '../diagnostics.js';
import type { PciAddress } from '../model/device-info.js';
import type { Controller } from '../model/devices/controller.js';
import type { Device } from '../model/devices/index.js';
import type { LowerContext } from './context.js';

/** How a device attaches to PCI. */
export type PciConnect =
  | 'pci' // conventional PCI endpoint (hotpluggable)
  | 'pcie' // PCI Express endpoint: a root port / downstream port on q35, plain PCI elsewhere
  | 'integrated' // must sit on the root bus (pcie.0 / pci.0)
  | 'root-port' // pcie-root-port, pcie-switch-upstream, …: on pcie.0, aggregated in multifunction slots
  | 'pci-bridge-parent'; // dmi-to-pci-bridge: pcie root only

interface PciBus {
  index: number;
  alias: string;
  model: string;
  minSlot: number;
  maxSlot: number;
  accepts: ReadonlySet<PciConnect>;
  used: Map<number, Set<number>>; // slot -> functions
  /** slots reserved for root-port aggregation */
  aggregate: Set<number>;
}

export class PciAddressSpace {
  private buses: PciBus[] = [];
  constructor(readonly q35: boolean) {}

  addBus(c: Controller): void {
    const model = c.model ?? '';
    const alias = busAlias(c);
    let minSlot = 1;
    let maxSlot = 31;
    let accepts: PciConnect[];
    switch (model) {
      case 'pci-root': accepts = ['pci', 'pcie', 'integrated']; break;
      case 'pcie-root': accepts = ['integrated', 'root-port', 'pci-bridge-parent']; break;
      case 'pci-bridge': case 'pcie-to-pci-bridge': accepts = ['pci', ...(this.q35 ? [] : ['pcie'] as PciConnect[])]; break;
      case 'dmi-to-pci-bridge': accepts = ['pci-bridge-parent']; minSlot = 0; break;
      case 'pcie-root-port': case 'pcie-switch-downstream-port': accepts = ['pcie']; minSlot = 0; maxSlot = 0; break;
      case 'pcie-switch-upstream-port': accepts = ['root-port']; minSlot = 0; break;
      case 'pci-expander-bus': case 'pcie-expander-bus': accepts = ['pci', 'pcie']; minSlot = 0; break;
      default: accepts = ['pci'];
    }
    this.buses.push({ index: c.index, alias, model, minSlot, maxSlot, accepts: new Set(accepts), used: new Map(), aggregate: new Set() });
    this.buses.sort((a, b) => a.index - b.index);
  }

  busByIndex(i: number): PciBus | undefined { return this.buses.find((b) => b.index === i); }

  isFree(bus: number, slot: number, fn: number): boolean {
    return !this.busByIndex(bus)?.used.get(slot)?.has(fn);
  }

  reserve(ctx: LowerContext, addr: PciAddress, range: Range): void {
    const bus = this.busByIndex(addr.bus);
    if (!bus) ctx.fail('pci-no-bus', `PCI address bus ${addr.bus} does not exist (add a PCI controller with index='${addr.bus}')`, range);
    if (addr.slot < bus!.minSlot || addr.slot > bus!.maxSlot) ctx.fail('pci-bad-slot', `PCI slot ${addr.slot} is not usable on bus ${addr.bus} (${bus!.model}: slots ${bus!.minSlot}-${bus!.maxSlot})`, range);
    const fns = bus!.used.get(addr.slot) ?? new Set<number>();
    if (fns.has(addr.function)) {
      ctx.fail('pci-address-conflict', `PCI address ${fmtAddr(addr)} is already in use`, range);
    }
    fns.add(addr.function);
    bus!.used.set(addr.slot, fns);
  }

  /** The first free slot on the first bus that accepts `connect`. */
  allocate(ctx: LowerContext, connect: PciConnect, range: Range, what: string): PciAddress | undefined {
    if (connect === 'root-port') return this.allocateAggregated();
    for (const bus of this.buses) {
      if (!bus.accepts.has(connect)) continue;
      for (let slot = bus.minSlot; slot <= bus.maxSlot; slot++) {
        if (bus.used.has(slot)) continue;
        bus.used.set(slot, new Set([0]));
        return { type: 'pci', domain: 0, bus: bus.index, slot, function: 0 };
      }
    }
    void ctx; void range; void what;
    return undefined;
  }

  private allocateAggregated(): PciAddress | undefined {
    const root = this.busByIndex(0)!;
    for (const slot of root.aggregate) {
      const fns = root.used.get(slot)!;
      for (let fn = 0; fn < 8; fn++) {
        if (!fns.has(fn)) { fns.add(fn); return { type: 'pci', domain: 0, bus: 0, slot, function: fn }; }
      }
    }
    for (let slot = root.minSlot; slot <= root.maxSlot; slot++) {
      if (root.used.has(slot)) continue;
      root.used.set(slot, new Set([0]));
      root.aggregate.add(slot);
      return { type: 'pci', domain: 0, bus: 0, slot, function: 0 };
    }
    return undefined;
  }

  /** Is any function besides 0 of this slot used (so function 0 must say multifunction)? */
  slotIsMultifunction(bus: number, slot: number): boolean {
    return (this.busByIndex(bus)?.used.get(slot)?.size ?? 0) > 1;
  }

  aliasOf(bus: number): string { return this.busByIndex(bus)?.alias ?? `pci.${bus}`; }

  hasFreeBusFor(connect: PciConnect): boolean {
    return this.buses.some((b) => b.accepts.has(connect) && [...range(b.minSlot, b.maxSlot)].some((s) => !b.used.has(s)));
  }
}

function* range(a: number, b: number): Generator<number> { for (let i = a; i <= b; i++) yield i; }

export function busAlias(c: Controller): string {
  if (c.index === 0 && c.model === 'pcie-root') return 'pcie.0';
  return `pci.${c.index}`;
}

export function fmtAddr(a: PciAddress): string {
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `${h(a.domain, 4)}:${h(a.bus, 2)}:${h(a.slot, 2)}.${a.function}`;
}

/** `bus`/`addr` (and `multifunction`) properties of a -device for a PCI address. */
export function pciDeviceProps(ctx: LowerContext, addr: PciAddress): Record<string, unknown> {
  const space = ctx.pci;
  const props: Record<string, unknown> = { bus: space ? space.aliasOf(addr.bus) : `pci.${addr.bus}` };
  if (addr.multifunction !== undefined) props.multifunction = addr.multifunction;
  props.addr = addr.function ? `0x${addr.slot.toString(16)}.0x${addr.function.toString(16)}` : `0x${addr.slot.toString(16)}`;
  return props;
}

export type { Device };
