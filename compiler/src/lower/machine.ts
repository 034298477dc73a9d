// -name, -machine, -accel: what kind of virtual machine this is.
import type { MachineCaps } from '../caps/caps.js';
import { findMachine } from '../caps/caps.js';
import type { LowerContext } from './context.js';
import { escapeComma, keyval } from './qemu-opts.js';

export function isQ35(machine: string): boolean {
  return machine === 'q35' || machine.startsWith('pc-q35');
}

export function isI440fx(machine: string): boolean {
  return machine === 'pc' || machine.startsWith('pc-i440fx') || machine.startsWith('pc-') && !isQ35(machine);
}

/** The machine type the domain runs, defaulting like libvirt (the caps' default machine). */
export function machineType(ctx: LowerContext): string {
  const m = ctx.domain.os.machine;
  if (m) return m;
  const dflt = ctx.caps.machines.find((x) => x.default);
  return dflt?.alias ?? dflt?.name ?? 'pc';
}

export function machineCaps(ctx: LowerContext): MachineCaps | undefined {
  return findMachine(ctx.caps, machineType(ctx), accelName(ctx));
}

export function accelName(ctx: LowerContext): string {
  return ctx.domain.type === 'qemu' ? 'tcg' : ctx.domain.type;
}

export function lowerName(ctx: LowerContext): void {
  ctx.arg('-name', `guest=${escapeComma(ctx.domain.name)},debug-threads=on`);
}

/** Extra -machine keys contributed by other families (pflash, nvdimm, hmat, sev …), in libvirt's order. */
export interface MachineExtras {
  pflash0?: string;
  pflash1?: string;
  nvdimm?: boolean;
  hmat?: boolean;
  memoryBackend?: string;
  confidentialGuestSupport?: string;
}

export function lowerMachine(ctx: LowerContext, extras: MachineExtras): void {
  const d = ctx.domain;
  const type = machineType(ctx);
  const mc = machineCaps(ctx);
  if (!mc && ctx.caps.machines.length) {
    ctx.fail('unsupported-machine', `machine type '${type}' is not supported by ${ctx.domain.emulator?.path ?? 'this QEMU'}`, d.os.range);
  }
  const f = d.features;
  const pairs: [string, string | number | boolean | undefined][] = [['usb', false]];
  if (f.vmport !== undefined) pairs.push(['vmport', f.vmport]);
  if (f.smm !== undefined) pairs.push(['smm', f.smm.state]);
  if (f.ioapic === 'qemu') pairs.push(['kernel_irqchip', 'split']);
  else if (f.ioapic === 'kvm') pairs.push(['kernel_irqchip', 'on']);
  const dumpCore = (d as { dumpCore?: boolean }).dumpCore;
  pairs.push(['dump-guest-core', dumpCore ?? false]);
  if (d.memoryBacking?.nosharepages) pairs.push(['mem-merge', false]);
  if (extras.nvdimm) pairs.push(['nvdimm', true]);
  if (extras.memoryBackend) pairs.push(['memory-backend', extras.memoryBackend]);
  if (extras.confidentialGuestSupport) pairs.push(['confidential-guest-support', extras.confidentialGuestSupport]);
  if (extras.pflash0) pairs.push(['pflash0', extras.pflash0]);
  if (extras.pflash1) pairs.push(['pflash1', extras.pflash1]);
  if (extras.hmat) pairs.push(['hmat', true]);
  const hpet = d.clock.timers.find((t) => t.name === 'hpet');
  if (hpet?.present !== undefined && ctx.has('machine-hpet')) pairs.push(['hpet', hpet.present]);
  ctx.arg('-machine', keyval(pairs, type));
}

export function lowerAccel(ctx: LowerContext): void {
  const accel = accelName(ctx);
  if (accel === 'kvm' && !ctx.has('kvm')) ctx.fail('missing-capability', 'domain type kvm needs KVM, which this QEMU binary does not offer', ctx.domain.range);
  const pairs: [string, string | number | undefined][] = [];
  if (accel === 'tcg' && ctx.domain.features.tcg?.tbCacheMiB !== undefined) pairs.push(['tb-size', ctx.domain.features.tcg.tbCacheMiB]);
  ctx.arg('-accel', keyval(pairs, accel));
}
