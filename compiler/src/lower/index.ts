// Lowering: a typed Domain plus capabilities and driver config → Plan. The order of the
// sections below is the order libvirt 9.0 writes them (qemuBuildCommandLine).
import { DiagnosticSink } from '../diagnostics.js';
import type { Domain } from '../model/domain.js';
import { devicesByKind } from '../model/devices/index.js';
import type { Plan } from '../plan/plan.js';
import { LowerContext, type CompileOptions } from './context.js';
import { controllerFamily } from './controller.js';
import { lowerCpu, lowerSmp } from './cpu.js';
import type { Family } from './family.js';
import { inputFamily } from './input.js';
import { lowerAccel, lowerMachine, lowerName, machineType, type MachineExtras } from './machine.js';
import { memballoonFamily } from './memballoon.js';
import { lowerMemorySize, lowerOvercommit, lowerRamBackend, machineMemoryBackendId } from './memory.js';
import { prepareDomain } from './prepare.js';
import {
  lowerBoot, lowerClock, lowerDefaults, lowerEnv, lowerLifecycle, lowerMasterKey, lowerMonitor, lowerMsgTimestamp,
  lowerPowerManagement, lowerSandbox, lowerUuid,
} from './platform.js';
import { applyOverrides, effectiveFlags, lowerCustomCommandline, lowerDeprecation, recordCapsTaint } from './qemu-namespace.js';
import { buildQmpPlan } from './qmp.js';

/** Every device family, by the kind of device it lowers. */
export const FAMILIES: Family[] = [
  controllerFamily as Family, memballoonFamily as Family, inputFamily as Family,
];

/** Device sections in libvirt's command-line order. */
const DEVICE_ORDER: string[] = [
  'controller', 'disk', 'interface', 'input', 'memballoon',
];

export interface LowerResult { plan?: Plan; diagnostics: DiagnosticSink }

export function lowerDomain(domain: Domain, opts: CompileOptions, diags: DiagnosticSink, nowEpochSeconds: number): Plan {
  const flags = effectiveFlags(domain, opts.caps.flags, diags);
  const ctx = new LowerContext(domain, opts, diags, flags);
  ctx.machine = machineType(ctx);
  const families = new Map<string, Family>(FAMILIES.map((f) => [f.kind, f]));
  for (const dev of domain.devices) {
    if (!families.has(dev.kind)) ctx.unsupported(`<${dev.kind}>`, dev.info.range);
  }
  prepareDomain(ctx, families);
  recordCapsTaint(ctx);

  lowerEnv(ctx);
  lowerName(ctx);
  lowerDeprecation(ctx);
  ctx.arg('-S');
  lowerMasterKey(ctx);
  const extras: MachineExtras = { memoryBackend: machineMemoryBackendId(ctx) };
  lowerMachine(ctx, extras);
  lowerAccel(ctx);
  lowerCpu(ctx);
  lowerMemorySize(ctx);
  lowerRamBackend(ctx);
  lowerOvercommit(ctx);
  lowerSmp(ctx);
  lowerUuid(ctx);
  if (domain.genid !== undefined) {
    if (!ctx.has('vmgenid')) ctx.fail('missing-capability', 'this QEMU has no vmgenid device', domain.range);
    ctx.device({ driver: 'vmgenid', guid: domain.genid, id: 'vmgenid0' });
  }
  if (!devicesByKind(domain.devices, 'graphics').length) ctx.arg('-display', 'none');
  lowerDefaults(ctx);
  lowerMonitor(ctx);
  lowerClock(ctx, nowEpochSeconds);
  lowerLifecycle(ctx);
  lowerPowerManagement(ctx, ctx.machine);
  lowerBoot(ctx);
  for (const kind of DEVICE_ORDER) {
    const fam = families.get(kind);
    if (fam) fam.lower(devicesByKind(domain.devices, kind) as never, ctx);
  }
  ctx.arg('-audiodev', JSON.stringify({ id: 'audio1', driver: 'none' }));
  lowerSandbox(ctx);
  lowerMsgTimestamp(ctx);
  applyOverrides(ctx);
  lowerCustomCommandline(ctx);

  return {
    domain: { name: domain.name, uuid: domain.uuid },
    env: ctx.env,
    binary: domain.emulator?.path ?? opts.caps.emulator ?? '/usr/bin/qemu-system-x86_64',
    argv: ctx.argv,
    qmp: buildQmpPlan(ctx),
    passFds: ctx.passFds,
    consoles: ctx.consoles,
    domainDir: ctx.domainDir,
    tainted: ctx.tainted,
    startPaused: Boolean(opts.startPaused),
  };
}
