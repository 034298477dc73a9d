// Lowering: a typed Domain plus capabilities and driver config → Plan. The order of the
// sections below is the order libvirt 9.0 writes them (qemuBuildCommandLine).
import { DiagnosticSink } from '../diagnostics.js';
import type { Domain } from '../model/domain.js';
import { devicesByKind } from '../model/devices/index.js';
import type { Plan } from '../plan/plan.js';
import { LowerContext, type CompileOptions } from './context.js';
import { controllerFamily } from './controller.js';
import { lowerCpu, lowerSmp } from './cpu.js';
import { diskFamily, lowerManagedPrHelper } from './disk.js';
import type { Family } from './family.js';
import { inputFamily } from './input.js';
import { lowerAccel, lowerMachine, lowerName, machineType, type MachineExtras } from './machine.js';
import { memballoonFamily } from './memballoon.js';
import { lowerMemorySize, lowerNuma, lowerOvercommit, lowerRamBackend, machineMemoryBackendId } from './memory.js';
import { memoryDeviceFamily } from './memory-device.js';
import { netFamily } from './net.js';
import { channelFamily, consoleFamily, parallelFamily, serialFamily } from './chardev.js';
import { smartcardFamily } from './smartcard.js';
import { redirdevFamily, redirfilterFamily } from './redirdev.js';
import { audioFamily } from './audio.js';
import { graphicsFamily } from './graphics.js';
import { soundFamily } from './sound.js';
import { videoFamily } from './video.js';
import { filesystemFamily } from './filesystem.js';
import { rngFamily } from './rng.js';
import { watchdogFamily } from './watchdog.js';
import { panicFamily } from './panic.js';
import { tpmFamily } from './tpm.js';
import { vsockFamily } from './vsock.js';
import { iommuFamily } from './iommu.js';
import { shmemFamily } from './shmem.js';
import { hubFamily } from './hub.js';
import { hostdevFamily } from './hostdev.js';
import { leaseFamily } from './lease.js';
import { nvramDeviceFamily } from './nvram-device.js';
import { cryptoFamily } from './crypto.js';
import { lowerBios, lowerIOThreads, lowerLaunchSecurity, lowerSysinfo } from './machine.js';
import { prepareDomain } from './prepare.js';
import {
  lowerBoot, lowerClock, lowerDefaults, lowerEnv, lowerLifecycle, lowerMasterKey, lowerMonitor, lowerMsgTimestamp,
  lowerPowerManagement, lowerSandbox, lowerUuid,
} from './platform.js';
import { applyOverrides, effectiveFlags, lowerCustomCommandline, lowerDeprecation, recordCapsTaint } from './qemu-namespace.js';
import { buildQmpPlan } from './qmp.js';

/** Every device family, by the kind of device it lowers. */
export const FAMILIES: Family[] = [
  controllerFamily as Family, diskFamily as Family, memballoonFamily as Family, inputFamily as Family, memoryDeviceFamily as Family,
  netFamily as Family,
  serialFamily as Family, parallelFamily as Family, channelFamily as Family, consoleFamily as Family,
  smartcardFamily as Family, redirdevFamily as Family, redirfilterFamily as Family,
  audioFamily as Family, graphicsFamily as Family, videoFamily as Family, soundFamily as Family,
  filesystemFamily as Family, rngFamily as Family, watchdogFamily as Family, panicFamily as Family, tpmFamily as Family,
  vsockFamily as Family, iommuFamily as Family, shmemFamily as Family, hubFamily as Family, hostdevFamily as Family,
  leaseFamily as Family, nvramDeviceFamily as Family, cryptoFamily as Family,
];

/** Device sections in libvirt's command-line order. */
const DEVICE_ORDER: string[] = [
  'iommu', 'controller', 'hub', 'memory', 'disk', 'filesystem', 'interface', 'smartcard', 'serial', 'parallel', 'channel', 'console',
  'tpm', 'input', 'audio', 'graphics', 'video', 'sound', 'watchdog', 'redirdev', 'hostdev', 'memballoon', 'rng', 'nvram',
  'lease', 'redirfilter',
];

/** Device sections libvirt writes after -sandbox. */
const DEVICE_ORDER_AFTER_SANDBOX: string[] = ['panic', 'shmem', 'vsock', 'crypto'];

export interface LowerResult { plan?: Plan; diagnostics: DiagnosticSink }

/** What lowering saw before a late failure (the language server still offers these devices). */
export interface LowerObserver { devices?: { id: string; driver: string; props: Record<string, unknown> }[] }

export function lowerDomain(domain: Domain, opts: CompileOptions, diags: DiagnosticSink, nowEpochSeconds: number, observer: LowerObserver = {}): Plan {
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
  lowerManagedPrHelper(ctx);
  const extras: MachineExtras = { memoryBackend: machineMemoryBackendId(ctx) };
  lowerMachine(ctx, extras);
  lowerAccel(ctx);
  lowerCpu(ctx);
  lowerBios(ctx);
  lowerMemorySize(ctx);
  lowerRamBackend(ctx);
  lowerOvercommit(ctx);
  lowerSmp(ctx);
  lowerIOThreads(ctx);
  lowerNuma(ctx);
  lowerUuid(ctx);
  lowerSysinfo(ctx);
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
  lowerLaunchSecurity(ctx);
  lowerSandbox(ctx);
  for (const kind of DEVICE_ORDER_AFTER_SANDBOX) {
    const fam = families.get(kind);
    if (fam) fam.lower(devicesByKind(domain.devices, kind) as never, ctx);
  }
  lowerMsgTimestamp(ctx);
  observer.devices = [...ctx.deviceProps.entries()].map(([id, d]) => ({ id, driver: String(d.props.driver), props: { ...d.props } }));
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
    ...(ctx.files.length ? { files: ctx.files } : {}),
    ...(ctx.helpers.length ? { helpers: ctx.helpers } : {}),
    ...(ctx.nvram ? { nvram: ctx.nvram } : {}),
  };
}
