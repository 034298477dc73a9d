// Before any option is written: implicit devices, aliases and PCI addresses, as libvirt
// settles them when it prepares a domain for start.
import type { Device } from '../model/devices/index.js';
import { devicesByKind, devicesOf } from '../model/devices/index.js';
import type { LowerContext } from './context.js';
import { prepareBootOrder } from './boot-order.js';
import { prepareChardevs } from './chardev.js';
import { prepareControllers } from './controller.js';
import { prepareDisks } from './disk.js';
import type { Family } from './family.js';
import { isQ35 } from './machine.js';
import { PciAddressSpace, fmtAddr, type PciConnect } from './pci-address.js';
import { addImplicitAudio } from './audio.js';
import { addImplicitVideo } from './video.js';

/** Device kinds in the order libvirt hands out PCI slots (qemuDomainAssignDevicePCISlots). */
const PCI_ORDER: string[] = [
  'controller:pci', 'filesystem', 'interface', 'sound', 'controller:other', 'disk', 'hostdev', 'memballoon', 'rng',
  'watchdog', 'video', 'shmem', 'input', 'serial', 'vsock', 'memory', 'iommu', 'crypto', 'panic',
];

export function prepareDomain(ctx: LowerContext, families: Map<string, Family>): void {
  prepareDisks(ctx);
  prepareBootOrder(ctx);
  prepareControllers(ctx);
  addDefaultBalloon(ctx);
  prepareChardevs(ctx);
  addImplicitVideo(ctx);
  addImplicitAudio(ctx);
  for (const fam of families.values()) {
    fam.assignAliases?.(devicesOf(ctx.domain.devices, fam.kind) as never, ctx);
  }
  assignPciAddresses(ctx, families);
}

function addDefaultBalloon(ctx: LowerContext): void {
  const d = ctx.domain;
  if (!devicesOf(d.devices, 'memballoon').length) {
    d.devices.push({ kind: 'memballoon', model: 'virtio', driver: {}, info: { range: d.range, userAlias: false } });
  }
}

function assignPciAddresses(ctx: LowerContext, families: Map<string, Family>): void {
  const d = ctx.domain;
  const q35 = isQ35(ctx.machine);
  const space = new PciAddressSpace(q35);
  ctx.pci = space;
  const ctrls = devicesOf(d.devices, 'controller');
  const pciCtrls = ctrls.filter((c) => c.type === 'pci').sort((a, b) => a.index - b.index);
  for (const c of pciCtrls) space.addBus(c);
  if (!space.busByIndex(0)) ctx.fail('pci-no-root', 'the domain has no PCI root controller (index 0)', d.range);

  const connectOf = (dev: Device): PciConnect | null => {
    const fam = families.get(dev.kind);
    return fam?.pciConnect ? fam.pciConnect(dev as never, ctx) : null;
  };
  // Chipset functions that are always present.
  const fixed = (slot: number, fn: number): void => {
    space.reserve(ctx, { type: 'pci', domain: 0, bus: 0, slot, function: fn }, d.range);
  };
  if (q35) {
    fixed(0x1f, 0); fixed(0x1f, 2); fixed(0x1f, 3);
  } else {
    fixed(1, 0); fixed(1, 1); fixed(1, 3);
  }
  // Explicit addresses are reserved before anything is assigned.
  const explicit = new Set<Device>();
  for (const dev of d.devices) {
    const a = dev.info.address;
    if (a?.type === 'pci') {
      if (!q35 && a.bus === 0 && a.slot === 1 && isPiix3Builtin(dev)) {
        if (dev.kind === 'controller' && dev.type === 'usb') space.reserve(ctx, a, dev.info.range);
        continue;
      }
      // q35's built-in AHCI (sata0) is ICH9 function 00:1f.2, reserved above.
      if (q35 && a.bus === 0 && a.slot === 0x1f && a.function === 2 && dev.kind === 'controller' && dev.type === 'sata' && dev.index === 0) continue;
      if (connectOf(dev) === null && !(dev.kind === 'controller' && dev.type === 'pci' && (dev.model === 'pci-root' || dev.model === 'pcie-root'))) {
        ctx.fail('pci-address-not-allowed', `<${dev.kind}> does not sit on a PCI bus, but has a PCI address`, dev.info.range);
      }
      space.reserve(ctx, a, dev.info.range);
      explicit.add(dev);
    }
  }
  // i440fx: the first USB controller (piix3-uhci) and IDE are functions of the PIIX3 at slot 1.
  if (!q35) {
    const usb = ctrls.find((c) => c.type === 'usb' && c.index === 0 && c.model === 'piix3-uhci' && !c.info.address);
    if (usb && space.isFree(0, 1, 2)) {
      usb.info.address = { type: 'pci', domain: 0, bus: 0, slot: 1, function: 2 };
      fixed(1, 2);
    }
  }
  // The primary video card gets slot 2 (i440fx) / slot 1 (q35) when it is a PCI device.
  const videos = devicesByKind(d.devices, 'video');
  const primary = videos[0];
  if (primary && !primary.info.address && connectOf(primary) !== null) {
    const slot = q35 ? 1 : 2;
    if (space.isFree(0, slot, 0)) {
      primary.info.address = { type: 'pci', domain: 0, bus: 0, slot, function: 0 };
      fixed(slot, 0);
    }
  }
  // q35: the first ICH9 HD Audio controller goes where the real chipset has it, 00:1b.0.
  if (q35) {
    const hda = devicesOf(d.devices, 'sound').find((s) => s.model === 'ich9' && !s.info.address);
    if (hda && space.isFree(0, 0x1b, 0)) {
      hda.info.address = { type: 'pci', domain: 0, bus: 0, slot: 0x1b, function: 0 };
      fixed(0x1b, 0);
    }
  }

  const assign = (dev: Device): void => {
    if (dev.info.address) return;
    const connect = connectOf(dev);
    if (connect === null) return;
    let want: PciConnect = connect;
    if (!q35 && want === 'pcie') want = 'pci';
    if (q35 && want === 'pcie' && !space.hasFreeBusFor('pcie')) addRootPort(ctx, space, dev);
    if (q35 && want === 'pci' && !space.hasFreeBusFor('pci')) {
      ctx.fail('pci-no-slot', `no PCI bus accepts a conventional PCI device here (add a pcie-to-pci-bridge controller)`, dev.info.range);
    }
    const addr = space.allocate(ctx, want, dev.info.range, dev.kind);
    if (!addr) ctx.fail('pci-no-slot', `no free PCI slot for <${dev.kind}>`, dev.info.range);
    dev.info.address = addr!;
  };
  for (const group of PCI_ORDER) {
    let list: Device[];
    if (group === 'controller:pci') list = pciCtrls.filter((c) => c.index !== 0);
    else if (group === 'controller:other') list = ctrls.filter((c) => c.type !== 'pci');
    else if (group === 'video') list = videos;
    else list = d.devices.filter((x) => x.kind === group);
    for (const dev of list) {
      assign(dev);
      if (dev.kind === 'controller' && dev.type === 'pci' && dev.info.address?.type === 'pci') {
        // a bridge's own slot is known now; re-sort buses not needed (indexes fixed)
      }
    }
  }
  // Function 0 of a slot with other functions in use must be multifunction.
  for (const dev of d.devices) {
    const a = dev.info.address;
    if (a?.type === 'pci' && a.function === 0 && a.multifunction === undefined && !explicit.has(dev) && space.slotIsMultifunction(a.bus, a.slot)) {
      a.multifunction = true;
    }
  }
  void fmtAddr;
}

function isPiix3Builtin(dev: Device): boolean {
  return dev.kind === 'controller' && (dev.type === 'ide' && dev.index === 0 || dev.type === 'usb' && dev.model === 'piix3-uhci' && dev.index === 0);
}

function addRootPort(ctx: LowerContext, space: PciAddressSpace, forDev: Device): void {
  const ctrls = devicesOf(ctx.domain.devices, 'controller');
  const index = Math.max(...ctrls.filter((c) => c.type === 'pci').map((c) => c.index)) + 1;
  const rp = {
    kind: 'controller' as const, type: 'pci' as const, index, model: 'pcie-root-port', pciModelName: 'pcie-root-port',
    info: { range: forDev.info.range, userAlias: false, alias: `pci.${index}` }, driver: {}, target: {},
  };
  const addr = space.allocate(ctx, 'root-port', forDev.info.range, 'pcie-root-port');
  if (!addr) ctx.fail('pci-no-slot', 'no free slot on pcie.0 for another pcie-root-port', forDev.info.range);
  (rp.info as { address?: unknown }).address = addr;
  ctx.domain.devices.push(rp);
  space.addBus(rp);
}
