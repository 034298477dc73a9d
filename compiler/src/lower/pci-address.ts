// PCI address assignment with libvirt's rules for x86 machines. Every bus has a set of
// connection types it accepts; every device has the type it needs. Addresses are settled in
// two passes like libvirt does: a dry run that grows the topology whenever no bus accepts a
// device (adding pci-bridge, pcie-root-port, or pcie-root-port + pcie-to-pci-bridge), after
// which the missing controllers are added to the domain, and a real pass that hands out
// slots first-fit in libvirt's device order (qemuDomainAssignDevicePCISlots).
import type { Range } from '../diagnostics.js';
import type { PciAddress } from '../model/device-info.js';
import type { Controller } from '../model/devices/controller.js';
import type { Device } from '../model/devices/index.js';
import { devicesOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';
import type { Family } from './family.js';
import { isQ35 } from './machine.js';

/** How a device attaches to PCI (what it needs from the bus it plugs into). */
export type PciConnect =
  | 'pci' // conventional PCI endpoint
  | 'pcie' // PCI Express endpoint on a PCIe machine, conventional PCI elsewhere
  | 'integrated' // like 'pcie', but only on the root bus
  | 'root-port' // pcie-root-port: pcie-root / pcie-expander-bus, several share a slot
  | 'pci-bridge-parent' // dmi-to-pci-bridge
  | 'pci-bridge'
  | 'pcie-to-pci-bridge'
  | 'switch-upstream'
  | 'switch-downstream'
  | 'pci-expander'
  | 'pcie-expander';

type ConnectType = 'pci-dev' | 'pcie-dev' | 'root-port' | 'upstream' | 'downstream' | 'dmi-bridge' | 'pcie-pci-bridge' | 'pxb' | 'pxb-pcie' | 'pci-bridge';

interface ConnectFlags {
  types: ReadonlySet<ConnectType>;
  /** endpoint devices may only be placed automatically on buses that allow it */
  autoassign: boolean;
  /** root ports: up to 8 share one slot as functions */
  aggregate: boolean;
  integrated: boolean;
}

const TYPE_NAMES: [ConnectType, string][] = [
  ['pci-dev', 'standard PCI device'], ['pcie-dev', 'PCI Express device'], ['root-port', 'pcie-root-port'],
  ['upstream', 'pcie-switch-upstream-port'], ['downstream', 'pcie-switch-downstream-port'], ['dmi-bridge', 'dmi-to-pci-bridge'],
  ['pcie-pci-bridge', 'pcie-to-pci-bridge'], ['pxb', 'pci-expander-bus'], ['pxb-pcie', 'pcie-expander-bus'], ['pci-bridge', 'pci-bridge'],
];

function deviceFlags(connect: PciConnect, pcieMachine: boolean): ConnectFlags {
  const endpoint = (t: ConnectType, integrated = false): ConnectFlags => ({ types: new Set([t]), autoassign: true, aggregate: false, integrated });
  const controller = (t: ConnectType, aggregate = false): ConnectFlags => ({ types: new Set([t]), autoassign: false, aggregate, integrated: false });
  switch (connect) {
    case 'pci': return endpoint('pci-dev');
    case 'pcie': return endpoint(pcieMachine ? 'pcie-dev' : 'pci-dev');
    case 'integrated': return endpoint(pcieMachine ? 'pcie-dev' : 'pci-dev', true);
    case 'root-port': return controller('root-port', true);
    case 'pci-bridge-parent': return controller('dmi-bridge');
    case 'pci-bridge': return controller('pci-bridge');
    case 'pcie-to-pci-bridge': return controller('pcie-pci-bridge');
    case 'switch-upstream': return controller('upstream');
    case 'switch-downstream': return controller('downstream');
    case 'pci-expander': return controller('pxb');
    case 'pcie-expander': return controller('pxb-pcie');
  }
}

/** The dummy device libvirt reserves a slot for, to keep room for expansion. */
const SPARE_PCI: ConnectFlags = { types: new Set(['pci-dev']), autoassign: true, aggregate: false, integrated: false };
const SPARE_PCIE: ConnectFlags = { types: new Set(['pcie-dev']), autoassign: true, aggregate: false, integrated: false };

interface Slot { functions: Set<number>; aggregate: boolean }

interface PciBus {
  model: string;
  accepts: Set<ConnectType>;
  autoassign: boolean;
  minSlot: number;
  maxSlot: number;
  slots: Map<number, Slot>;
}

function newBus(model: string): PciBus {
  let accepts: ConnectType[] = [];
  let autoassign = true;
  let minSlot = 1;
  let maxSlot = 31;
  switch (model) {
    case 'pci-root': accepts = ['pci-dev', 'pci-bridge', 'pxb']; break;
    case 'pci-bridge': accepts = ['pci-dev', 'pci-bridge']; break;
    case 'pci-expander-bus': accepts = ['pci-dev', 'pci-bridge']; minSlot = 0; break;
    case 'pcie-root': accepts = ['pcie-dev', 'root-port', 'dmi-bridge', 'pxb-pcie']; autoassign = false; break;
    case 'dmi-to-pci-bridge': accepts = ['pci-dev', 'pci-bridge']; autoassign = false; minSlot = 0; break;
    case 'pcie-to-pci-bridge': accepts = ['pci-dev', 'pci-bridge']; break;
    case 'pcie-root-port': case 'pcie-switch-downstream-port': accepts = ['pcie-dev', 'upstream', 'pcie-pci-bridge']; minSlot = 0; maxSlot = 0; break;
    case 'pcie-switch-upstream-port': accepts = ['downstream']; autoassign = false; minSlot = 0; break;
    case 'pcie-expander-bus': accepts = ['root-port', 'dmi-bridge']; autoassign = false; minSlot = 0; break;
    default: accepts = []; autoassign = false;
  }
  return { model, accepts: new Set(accepts), autoassign, minSlot, maxSlot, slots: new Map() };
}

class PciFail {
  constructor(readonly code: string, readonly message: string) {}
}

/** The set of PCI buses and the slots/functions in use on them. */
class PciAddressSet {
  readonly buses: PciBus[] = [];
  constructor(readonly dryRun: boolean, readonly pcieToPciBridge: boolean) {}

  slotInUse(bus: number, slot: number): boolean { return (this.buses[bus]?.slots.get(slot)?.functions.size ?? 0) > 0; }

  fullyReserved(bus: PciBus): boolean {
    for (let s = bus.minSlot; s <= bus.maxSlot; s++) if (!bus.slots.get(s)?.functions.size) return false;
    return true;
  }

  /** Can a device with `dev` flags sit on `busIdx`? Returns the reason when it cannot. */
  compatible(a: PciAddress, dev: ConnectFlags, fromConfig: boolean): string | null {
    const bus = this.buses[a.bus]!;
    const accepts = new Set(bus.accepts);
    let autoassign = bus.autoassign;
    const types = new Set(dev.types);
    if (dev.integrated) {
      if (a.bus !== 0) return `The device at PCI address ${fmtAddr(a)} needs to be an integrated device (bus=0)`;
      autoassign = true;
    }
    if (fromConfig) {
      // a hand-written address may put a PCI device in a PCIe slot and vice versa
      if (accepts.has('pci-dev') || accepts.has('pcie-dev')) { accepts.add('pci-dev'); accepts.add('pcie-dev'); }
      if (types.has('pci-bridge')) types.add('pci-dev');
    } else if (dev.autoassign && !autoassign) {
      return `The device at PCI address ${fmtAddr(a)} was auto-assigned this address, but the PCI controller with index='${a.bus}' doesn't allow auto-assignment`;
    }
    if (![...types].some((t) => accepts.has(t))) {
      const what = TYPE_NAMES.find(([t]) => types.has(t))![1];
      return `The device at PCI address ${fmtAddr(a)} cannot be plugged into the PCI controller with index='${a.bus}'. It requires a controller that accepts a ${what}.`;
    }
    return null;
  }

  validate(a: PciAddress, dev: ConnectFlags, fromConfig: boolean): void {
    const s = fmtAddr(a);
    if (a.domain !== 0) throw new PciFail('pci-invalid-address', `Invalid PCI address ${s}. Only PCI domain 0 is available`);
    if (a.bus >= this.buses.length) throw new PciFail('pci-invalid-address', `Invalid PCI address ${s}. Only PCI buses up to ${this.buses.length - 1} are available`);
    const why = this.compatible(a, dev, fromConfig);
    if (why) throw new PciFail('pci-wrong-bus', why);
    const bus = this.buses[a.bus]!;
    if (bus.minSlot && a.slot < bus.minSlot) throw new PciFail('pci-invalid-address', `Invalid PCI address ${s}. slot must be >= ${bus.minSlot}`);
    if (a.slot > bus.maxSlot) throw new PciFail('pci-invalid-address', `Invalid PCI address ${s}. slot must be <= ${bus.maxSlot}`);
    if (a.function > 7) throw new PciFail('pci-invalid-address', `Invalid PCI address ${s}. function must be <= 7`);
  }

  reserve(a: PciAddress, dev: ConnectFlags, fromConfig: boolean): void {
    if (this.dryRun) this.grow(a, dev);
    this.validate(a, dev, fromConfig);
    const bus = this.buses[a.bus]!;
    let slot = bus.slots.get(a.slot);
    if (slot?.functions.has(a.function)) throw new PciFail('pci-address-conflict', `Attempted double use of PCI Address ${fmtAddr(a)}`);
    if (!slot) { slot = { functions: new Set(), aggregate: false }; bus.slots.set(a.slot, slot); }
    // a slot whose first function is a root port takes further root ports
    if (!slot.functions.size && dev.aggregate) slot.aggregate = true;
    slot.functions.add(a.function);
  }

  /** Reserve and return the first free address for a device (function 0 unless given). */
  reserveNext(dev: ConnectFlags, fn?: number): PciAddress {
    const a = this.nextAddr(dev, fn);
    this.reserve(a, dev, false);
    return a;
  }

  private nextAddr(dev: ConnectFlags, fn?: number): PciAddress {
    for (let b = 0; b < this.buses.length; b++) {
      const bus = this.buses[b]!;
      const probe: PciAddress = { type: 'pci', domain: 0, bus: b, slot: bus.minSlot, function: fn ?? 0 };
      if (this.compatible(probe, dev, false)) continue;
      for (let s = bus.minSlot; s <= bus.maxSlot; s++) {
        const slot = bus.slots.get(s);
        if (!slot?.functions.size) return { ...probe, slot: s };
        if (dev.aggregate && slot.aggregate) {
          if (fn !== undefined) { if (!slot.functions.has(fn)) return { ...probe, slot: s }; continue; }
          for (let f = 0; f < 8; f++) if (!slot.functions.has(f)) return { ...probe, slot: s, function: f };
        }
      }
    }
    if (this.dryRun) {
      const a: PciAddress = { type: 'pci', domain: 0, bus: this.buses.length, slot: 0, function: fn ?? 0 };
      this.grow(a, dev);
      a.slot = this.buses[a.bus]!.minSlot;
      return a;
    }
    throw new PciFail('pci-no-slot', 'No more available PCI slots');
  }

  /** Add buses so that `a.bus` exists, choosing controllers that can take the device. */
  private grow(a: PciAddress, dev: ConnectFlags): void {
    let add = a.bus - this.buses.length + 1;
    if (add <= 0) return;
    let model: string;
    let needDmi = false;
    let needPcieBridge = false;
    if (dev.types.has('pci-dev')) {
      model = 'pci-bridge';
      // a PCIe-only topology first needs somewhere to plug a PCI bridge into
      if (!this.buses.some((b) => b.accepts.has('pci-bridge'))) {
        if (this.pcieToPciBridge) needPcieBridge = true; else needDmi = true;
        if (add === 1) { add++; a.bus++; }
      }
    } else if (dev.types.has('pcie-dev') || dev.types.has('upstream')) {
      model = 'pcie-root-port';
    } else {
      const name = TYPE_NAMES.find(([t]) => dev.types.has(t))![1];
      throw new PciFail('pci-no-slot', `a PCI slot is needed to connect a PCI controller model='${name}', but none is available, and it cannot be automatically added`);
    }
    const first = this.buses.length;
    for (let i = 0; i < add; i++) this.buses.push(newBus(model));
    let i = first;
    if (needDmi) this.buses[i++] = newBus('dmi-to-pci-bridge');
    if (needPcieBridge) {
      // this root port is only for the bridge, not for the spare PCIe slot reserved later
      const rp = newBus('pcie-root-port');
      rp.accepts = new Set(['pcie-pci-bridge']);
      this.buses[i++] = rp;
      this.buses[i++] = newBus('pcie-to-pci-bridge');
    }
  }
}

/** The space lowering uses to name buses. */
export class PciAddressSpace {
  constructor(private readonly aliases: Map<number, string>) {}
  aliasOf(bus: number): string { return this.aliases.get(bus) ?? `pci.${bus}`; }
}

export function busAlias(c: Controller): string {
  if (c.index === 0 && c.model === 'pcie-root') return 'pcie.0';
  return `pci.${c.index}`;
}

export function fmtAddr(a: PciAddress): string {
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `${h(a.domain, 4)}:${h(a.bus, 2)}:${h(a.slot, 2)}.${a.function.toString(16)}`;
}

/** `bus`/`addr` (and `multifunction`) properties of a -device for a PCI address. */
export function pciDeviceProps(ctx: LowerContext, addr: PciAddress): Record<string, unknown> {
  const space = ctx.pci;
  const props: Record<string, unknown> = { bus: space ? space.aliasOf(addr.bus) : `pci.${addr.bus}` };
  if (addr.multifunction !== undefined) props.multifunction = addr.multifunction;
  props.addr = addr.function ? `0x${addr.slot.toString(16)}.0x${addr.function.toString(16)}` : `0x${addr.slot.toString(16)}`;
  return props;
}

// ---- the assignment passes ----

/** Device kinds in the order libvirt hands out PCI slots (qemuDomainAssignDevicePCISlots). */
const PCI_ORDER: string[] = [
  'controller:pci', 'filesystem', 'interface', 'sound', 'controller:other', 'disk', 'hostdev', 'memballoon', 'rng',
  'watchdog', 'video', 'shmem', 'input', 'serial', 'iommu', 'vsock', 'memory', 'crypto', 'panic',
];

const USB2_FUNCTION: Record<string, { fn: number; multi?: boolean }> = {
  'ich9-ehci1': { fn: 7 }, 'ich9-uhci1': { fn: 0, multi: true }, 'ich9-uhci2': { fn: 1 }, 'ich9-uhci3': { fn: 2 },
};

/** An all-zero `<address type='pci'/>` asks for an address like no address at all. */
function explicitPci(dev: Device): PciAddress | undefined {
  const a = dev.info.address;
  if (a?.type !== 'pci') return undefined;
  if (a.domain === 0 && a.bus === 0 && a.slot === 0 && a.function === 0) return undefined;
  return a;
}

function wantsPci(dev: Device): boolean {
  const a = dev.info.address;
  return !a || (a.type === 'pci' && !explicitPci(dev));
}

const DEFAULT_PCI_MODEL_NAME: Record<string, string> = {
  'pci-bridge': 'pci-bridge', 'dmi-to-pci-bridge': 'i82801b11-bridge', 'pcie-to-pci-bridge': 'pcie-pci-bridge', 'pcie-root-port': 'pcie-root-port',
};

export function assignPciAddresses(ctx: LowerContext, families: Map<string, Family>): void {
  const d = ctx.domain;
  const pciCtrls = (): Controller[] => devicesOf(d.devices, 'controller').filter((c) => c.type === 'pci').sort((a, b) => a.index - b.index);
  const root = pciCtrls().find((c) => c.index === 0);
  if (!root) ctx.fail('pci-no-root', 'the domain has no PCI root controller (index 0)', d.range);
  const pcieMachine = root!.model === 'pcie-root';
  const connectOf = (dev: Device): PciConnect | null => {
    const fam = families.get(dev.kind);
    return fam?.pciConnect ? fam.pciConnect(dev as never, ctx) : null;
  };
  const flagsOf = (dev: Device): ConnectFlags | null => {
    const c = connectOf(dev);
    return c === null ? null : deviceFlags(c, pcieMachine);
  };
  const maxIdx = Math.max(...pciCtrls().map((c) => c.index));

  let failingDevice: Device | undefined;
  const run = (dryRun: boolean): PciAddressSet => {
    const set = new PciAddressSet(dryRun, ctx.has('pcie-pci-bridge'));
    const nbuses = Math.max(...pciCtrls().map((c) => c.index)) + 1;
    const defaultModel = pcieMachine ? 'pcie-root-port' : 'pci-bridge';
    for (let i = 0; i < nbuses; i++) set.buses.push(newBus(i === 0 ? 'pci-root' : defaultModel));
    for (const c of pciCtrls()) set.buses[c.index] = newBus(c.model ?? defaultModel);
    // libvirt assigns in pass one and re-assigns in pass two: only chipset placements persist
    const assigned = new Map<Device, PciAddress>();
    const addrOf = (dev: Device): PciAddress | undefined => assigned.get(dev) ?? explicitPci(dev);
    const setAddr = (dev: Device, a: PciAddress, persist = !dryRun): void => {
      assigned.set(dev, a);
      if (persist) dev.info.address = a;
    };
    const next = (dev: Device): void => {
      failingDevice = dev;
      const a = set.reserveNext(flagsOf(dev)!);
      setAddr(dev, a);
    };

    // addresses given in the XML are reserved first
    for (const dev of d.devices) {
      const a = explicitPci(dev);
      if (!a || isPiix3Builtin(dev, a)) continue;
      failingDevice = dev;
      let flags = flagsOf(dev);
      if (flags === null) {
        // root buses and chipset controllers: the chipset step checks their address
        if (dev.kind === 'controller' && (dev.type === 'pci' || dev.type === 'ide' || dev.type === 'sata')) continue;
        ctx.fail('pci-address-not-allowed', `<${dev.kind}> does not sit on a PCI bus, but has a PCI address`, dev.info.range);
      }
      // hand-placed host devices are accepted on PCI and PCIe buses alike
      if (dev.kind === 'hostdev' && pcieMachine) flags = deviceFlags('pcie', true);
      set.reserve(a, flags!, true);
    }
    chipsetSlots(ctx, set, pcieMachine, flagsOf, setAddr);

    if (dryRun && !pcieMachine && !set.buses.every((b) => set.fullyReserved(b))) {
      failingDevice = undefined;
      set.reserveNext(SPARE_PCI);
    }

    const ctrls = (): Controller[] => devicesOf(d.devices, 'controller');
    for (const group of PCI_ORDER) {
      let list: Device[];
      if (group === 'controller:pci') list = pciCtrls().filter((c) => c.model !== 'pci-root' && c.model !== 'pcie-root');
      else if (group === 'controller:other') list = ctrls().filter((c) => c.type !== 'pci');
      else list = d.devices.filter((x) => x.kind === group);
      for (const dev of list) {
        if (!wantsPci(dev) || assigned.has(dev) || flagsOf(dev) === null) continue;
        if (dev.kind === 'interface' && dev.type === 'hostdev') continue;
        if (dev.kind === 'controller' && USB2_FUNCTION[dev.model ?? '']) {
          // the EHCI controller and its UHCI companions are functions of one slot
          const place = USB2_FUNCTION[dev.model!]!;
          const mate = ctrls().find((o) => o.type === 'usb' && o.index === dev.index && USB2_FUNCTION[o.model ?? ''] && addrOf(o));
          failingDevice = dev;
          let a: PciAddress;
          if (mate) {
            const m = addrOf(mate)!;
            a = { type: 'pci', domain: 0, bus: m.bus, slot: m.slot, function: place.fn };
            set.reserve(a, flagsOf(dev)!, true);
          } else {
            a = set.reserveNext(flagsOf(dev)!, place.fn);
          }
          if (place.multi) a.multifunction = true;
          setAddr(dev, a);
          continue;
        }
        next(dev);
      }
    }

    if (dryRun) {
      failingDevice = undefined;
      // a new PCIe domain gets one empty root port for hotplug
      if (maxIdx <= 0 && set.buses.length > maxIdx + 1 && pcieMachine) set.reserveNext(SPARE_PCIE);
      for (let i = 1; i < set.buses.length; i++) {
        if (pciCtrls().some((c) => c.index === i)) continue;
        const model = set.buses[i]!.model;
        const c: Controller = {
          kind: 'controller', type: 'pci', index: i, model, pciModelName: DEFAULT_PCI_MODEL_NAME[model],
          info: { range: d.range, userAlias: false, alias: `pci.${i}` }, driver: {}, target: {},
        };
        d.devices.push(c);
        set.reserveNext(flagsOf(c)!);
      }
    }
    return set;
  };

  try {
    run(true);
    run(false);
  } catch (e) {
    if (!(e instanceof PciFail)) throw e;
    ctx.fail(e.code, e.message, failingDevice?.info.range ?? d.range);
  }

  // function 0 of a slot with other functions in use must say multifunction
  for (const dev of d.devices) {
    const a = dev.info.address;
    if (a?.type !== 'pci' || a.function === 0) continue;
    const f0 = d.devices.find((o) => o.info.address?.type === 'pci' && (o.info.address as PciAddress).bus === a.bus && (o.info.address as PciAddress).slot === a.slot && (o.info.address as PciAddress).function === 0);
    if (f0 && (f0.info.address as PciAddress).multifunction === undefined) (f0.info.address as PciAddress).multifunction = true;
  }

  for (const c of pciCtrls()) {
    if ((c.model === 'pci-expander-bus' || c.model === 'pcie-expander-bus') && c.target.busNr === undefined) {
      // below every bus number in use, leaving one for the expander's own bridge
      const lowest = Math.min(256, ...pciCtrls().map((o) => o.target.busNr).filter((n): n is number => n !== undefined));
      if (lowest <= 2) {
        const a = c.info.address;
        ctx.fail('pci-bus-nr', `No free busNr lower than current lowest busNr is available to auto-assign to bus ${a?.type === 'pci' ? a.bus : 0}. Must be manually assigned`, c.info.range);
      }
      c.target.busNr = lowest - 2;
    }
    const a = c.info.address;
    if (c.model === 'pci-bridge' && a?.type === 'pci' && c.index <= a.bus) {
      const hex = (n: number): string => n.toString(16).padStart(2, '0');
      ctx.fail('pci-invalid-address', `PCI controller at index ${c.index} (0x${hex(c.index)}) has bus='0x${hex(a.bus)}', but index must be larger than bus`, c.info.range);
    }
  }
  ctx.pci = new PciAddressSpace(new Map(pciCtrls().map((c) => [c.index, c.info.alias ?? busAlias(c)])));
}

/** PIIX3's IDE and first UHCI live at 00:01.1 / 00:01.2, whatever the XML says. */
function isPiix3Builtin(dev: Device, a: PciAddress): boolean {
  if (dev.kind !== 'controller' || a.domain !== 0 || a.bus !== 0 || a.slot !== 1) return false;
  return dev.type === 'ide' && dev.index === 0 && a.function === 1
    || dev.type === 'usb' && dev.index === 0 && dev.model === 'piix3-uhci' && a.function === 2;
}

/** Slots the chipset fixes: libvirt's qemuDomainValidateDevicePCISlots{PIIX3,Q35}. */
function chipsetSlots(
  ctx: LowerContext, set: PciAddressSet, pcieMachine: boolean,
  flagsOf: (dev: Device) => ConnectFlags | null,
  setAddr: (dev: Device, a: PciAddress, persist?: boolean) => void,
): void {
  const d = ctx.domain;
  const at = (slot: number, fn = 0): PciAddress => ({ type: 'pci', domain: 0, bus: 0, slot, function: fn });
  const same = (a: PciAddress, b: PciAddress): boolean => a.domain === b.domain && a.bus === b.bus && a.slot === b.slot && a.function === b.function;
  const ctrls = devicesOf(d.devices, 'controller');
  const q35 = isQ35(ctx.machine);
  const i440fx = !q35 && !pcieMachine;
  const chipsetFlags: ConnectFlags = pcieMachine ? SPARE_PCIE : SPARE_PCI;
  const placePrimaryVideo = (slot: number): void => {
    const video = devicesOf(d.devices, 'video')[0];
    if (!video || video.type === 'none' || video.type === 'ramfb' || !wantsPci(video)) return;
    const a = at(slot);
    set.validate(a, chipsetFlags, true);
    if (set.slotInUse(0, slot)) setAddr(video, set.reserveNext(flagsOf(video)!));
    else { set.reserve(a, chipsetFlags, true); setAddr(video, a, true); }
  };
  if (i440fx) {
    for (const c of ctrls) {
      let want: PciAddress;
      if (c.type === 'ide' && c.index === 0) want = at(1, 1);
      else if (c.type === 'usb' && c.index === 0 && c.model === 'piix3-uhci') want = at(1, 2);
      else continue;
      const given = explicitPci(c);
      if (given && !same(given, want)) {
        ctx.fail('pci-invalid-address', c.type === 'ide' ? 'Primary IDE controller must have PCI address 0:0:1.1' : 'PIIX3 USB controller at index 0 must have PCI address 0:0:1.2', c.info.range);
      }
      if (!set.buses[0]!.accepts.has('pci-dev')) ctx.fail('pci-invalid-address', 'Bus 0 must be PCI for integrated PIIX3 USB or IDE controllers', c.info.range);
      setAddr(c, want, true);
      set.reserve(want, chipsetFlags, true);
    }
    set.reserve(at(1, 0), chipsetFlags, true);
    set.reserve(at(1, 3), chipsetFlags, true);
    placePrimaryVideo(2);
    return;
  }
  if (!q35) return;
  for (const c of ctrls) {
    if (c.type === 'sata' && c.index === 0) {
      const want = at(0x1f, 2);
      const given = explicitPci(c);
      if (given && !same(given, want)) ctx.fail('pci-invalid-address', 'Primary SATA controller must have PCI address 0:0:1f.2', c.info.range);
      if (!given) setAddr(c, want, true);
    } else if (c.type === 'usb' && c.model === 'ich9-uhci1' && !c.info.address) {
      // the first two USB2 sets go where real Q35 hardware has them, if free
      const slot = !set.slotInUse(0, 0x1d) ? 0x1d : !set.slotInUse(0, 0x1a) ? 0x1a : undefined;
      if (slot !== undefined) {
        const a = at(slot);
        set.reserve(a, chipsetFlags, true);
        setAddr(c, { ...a, multifunction: true }, true);
      }
    } else if (c.type === 'pci' && c.model === 'dmi-to-pci-bridge' && wantsPci(c)) {
      if (!set.slotInUse(0, 0x1e)) {
        const a = at(0x1e);
        set.reserve(a, chipsetFlags, true);
        setAddr(c, a, true);
      }
    }
  }
  set.reserve(at(0x1f, 0), chipsetFlags, true);
  set.reserve(at(0x1f, 3), chipsetFlags, true);
  // the built-in AHCI is not a -device of ours, but its function is taken all the same
  if (ctrls.some((c) => c.type === 'sata' && c.index === 0)) set.reserve(at(0x1f, 2), chipsetFlags, true);
  placePrimaryVideo(1);
  if (!set.slotInUse(0, 0x1b)) {
    const hda = devicesOf(d.devices, 'sound').find((s) => s.model === 'ich9' && wantsPci(s));
    if (hda) {
      const a = at(0x1b);
      set.reserve(a, chipsetFlags, true);
      setAddr(hda, a, true);
    }
  }
}

export type { Device };
