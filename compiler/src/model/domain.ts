// The typed domain model. Every node keeps the source range of the element it came from.
import type { Range } from '../diagnostics.js';
import type { Device } from './devices/index.js';

export type DomainType = 'qemu' | 'kvm' | 'hvf';

export interface Sized { kib: number; range: Range }

export interface BootDev { dev: 'hd' | 'cdrom' | 'fd' | 'network'; range: Range }

export interface Loader {
  path?: string;
  readonly?: boolean;
  type?: 'rom' | 'pflash';
  secure?: boolean;
  stateless?: boolean;
  format?: string;
  range: Range;
}
export interface Nvram { path?: string; template?: string; format?: string; source?: { type: string; [k: string]: unknown }; range: Range }

export interface Os {
  arch: string;
  machine?: string;
  osType: string;
  firmware?: 'bios' | 'efi';
  firmwareFeatures: { name: string; enabled: boolean }[];
  boot: BootDev[];
  bootMenu?: { enable: boolean; timeout?: number };
  loader?: Loader;
  nvram?: Nvram;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  dtb?: string;
  smbiosMode?: 'emulate' | 'host' | 'sysinfo';
  biosUseSerial?: boolean;
  rebootTimeout?: number;
  range: Range;
}

/** <features>: name → state. Plain flags are 'on'; some carry details. */
export interface Features {
  acpi?: boolean;
  apic?: { eoi?: boolean };
  pae?: boolean;
  hap?: boolean;
  viridian?: boolean;
  privnet?: boolean;
  hyperv?: HyperV;
  kvm?: Record<string, { state: boolean; value?: string }>;
  pvspinlock?: boolean;
  pmu?: boolean;
  vmport?: boolean;
  smm?: { state: boolean; tsegKiB?: number };
  ioapic?: 'qemu' | 'kvm';
  hpt?: unknown;
  vmcoreinfo?: boolean;
  htm?: boolean;
  nestedHV?: boolean;
  msrs?: string;
  ccfAssist?: boolean;
  cfpc?: string;
  sbbc?: string;
  ibs?: string;
  tcg?: { tbCacheMiB?: number };
  asyncTeardown?: boolean;
  range?: Range;
}

export interface HyperV {
  mode: 'custom' | 'passthrough';
  features: { name: string; state: boolean; value?: string; extra?: Record<string, string | boolean> }[];
}

export interface CpuFeature { name: string; policy: 'force' | 'require' | 'optional' | 'disable' | 'forbid'; range: Range }

export interface CpuTopology { sockets: number; dies: number; cores: number; threads: number }

export interface NumaCell {
  id: number;
  cpus?: string;
  memoryKiB: number;
  memAccess?: 'shared' | 'private';
  discard?: boolean;
  unit?: string;
  distances: { id: number; value: number }[];
  caches: unknown[];
  range: Range;
}

export interface NumaInterconnect { kind: 'latency' | 'bandwidth'; initiator: number; target: number; cache?: number; type: string; value: number; unit?: string }

export interface NumaCache { cell: number; level: number; associativity: string; policy: string; sizeKiB: number; lineBytes: number }

export interface Cpu {
  mode: 'custom' | 'host-model' | 'host-passthrough' | 'maximum';
  match?: 'minimum' | 'exact' | 'strict';
  check?: string;
  migratable?: boolean;
  model?: string;
  fallback?: 'allow' | 'forbid';
  vendorId?: string;
  vendor?: string;
  topology?: CpuTopology;
  features: CpuFeature[];
  cacheMode?: { level?: number; mode: 'emulate' | 'passthrough' | 'disable' };
  maxphysaddr?: { mode: 'passthrough' | 'emulate'; bits?: number };
  numa: NumaCell[];
  interconnects: NumaInterconnect[];
  numaCaches: NumaCache[];
  range: Range;
}

export interface Timer {
  name: string;
  present?: boolean;
  tickpolicy?: string;
  track?: string;
  frequency?: number;
  mode?: string;
  catchupThreshold?: number;
  range: Range;
}

export interface Clock {
  offset: 'utc' | 'localtime' | 'timezone' | 'variable' | 'absolute';
  adjustment?: number | 'reset';
  basis?: 'utc' | 'localtime';
  start?: number;
  timezone?: string;
  timers: Timer[];
  range?: Range;
}

export type LifecycleAction = 'destroy' | 'restart' | 'preserve' | 'rename-restart' | 'coredump-destroy' | 'coredump-restart';

export interface MemoryBacking {
  hugepages?: { pages: { sizeKiB?: number; nodeset?: string }[] };
  nosharepages?: boolean;
  locked?: boolean;
  source?: 'file' | 'anonymous' | 'memfd';
  access?: 'shared' | 'private';
  allocation?: { mode?: 'immediate' | 'ondemand'; threads?: number };
  discard?: boolean;
  range: Range;
}

export interface NumaTune {
  memory?: { mode: 'strict' | 'preferred' | 'interleave' | 'restrictive'; nodeset?: string; placement?: string };
  memnodes: { cellid: number; mode: 'strict' | 'preferred' | 'interleave' | 'restrictive'; nodeset: string }[];
}

export interface IOThreads {
  count: number;
  ids: { id: number; poolMin?: number; poolMax?: number; pollMax?: number; pollGrow?: number; pollShrink?: number }[];
}

export interface QemuNamespace {
  args: { value: string; range: Range }[];
  envs: { name: string; value?: string; range: Range }[];
  capsAdd: { name: string; range: Range }[];
  capsDel: { name: string; range: Range }[];
  deprecation?: { behavior: 'none' | 'omit' | 'reject' | 'crash'; range: Range };
  overrides: QemuOverride[];
}

export interface QemuOverride {
  alias: string;
  range: Range;
  properties: { name: string; type: 'string' | 'signed' | 'unsigned' | 'bool' | 'remove'; value?: string; range: Range }[];
}

export interface Domain {
  type: DomainType;
  name: string;
  uuid: string;
  genid?: string | 'auto';
  memory: Sized;
  maxMemory?: { kib: number; slots: number; range: Range };
  currentMemory?: Sized;
  vcpus: number;
  vcpusCurrent?: number;
  vcpuRange: Range;
  iothreads?: IOThreads;
  os: Os;
  features: Features;
  cpu?: Cpu;
  clock: Clock;
  onPoweroff: LifecycleAction;
  onReboot: LifecycleAction;
  onCrash: LifecycleAction;
  onLockfailure?: string;
  pm: { suspendToMem?: boolean; suspendToDisk?: boolean };
  memoryBacking?: MemoryBacking;
  numatune?: NumaTune;
  emulator?: { path: string; range: Range };
  devices: Device[];
  sysinfo: Sysinfo[];
  launchSecurity?: LaunchSecurity;
  keywrap?: unknown;
  seclabels: { type: string; model?: string; relabel?: boolean }[];
  qemu: QemuNamespace;
  range: Range;
}

export interface Sysinfo {
  type: 'smbios' | 'fwcfg';
  sections: Record<string, Record<string, string>[]>;
  fwcfg: { name: string; value?: string; file?: string }[];
  /** <oemStrings> entries (SMBIOS type 11), in order. */
  oemStrings?: string[];
  range: Range;
}

export interface LaunchSecurity {
  type: 'sev' | 's390-pv' | 'sev-snp';
  cbitpos?: number;
  reducedPhysBits?: number;
  policy?: number;
  dhCert?: string;
  session?: string;
  kernelHashes?: boolean;
  range: Range;
}
