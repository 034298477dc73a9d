// Builds the typed Domain from the positioned XML tree. Everything read is marked; what
// remains unread afterwards is reported as `unsupported` by `compile()`.
import type { DiagnosticSink } from '../diagnostics.js';
import { ElementReader, QEMU_NS } from '../xml/reader.js';
import { overridePropertyProblem, qemuEnvNameProblem } from '../schema/semantic-rules.js';
import type { XElement } from '../xml/parse.js';
import type {
  BootDev, Clock, Cpu, CpuFeature, Domain, DomainType, Features, HyperV, LifecycleAction, MemoryBacking,
  NumaCell, NumaTune, Os, QemuNamespace, Sized, Sysinfo, Timer, IOThreads, LaunchSecurity,
} from './domain.js';
import { bytesToKiB, scaledBytes } from './units.js';
import { readDevices } from './devices/index.js';

export function readScaled(r: ElementReader, defaultUnit = 'KiB'): number {
  const t = r.text();
  if (!/^[0-9]+$/.test(t)) r.fatal('invalid-number', `<${r.el.name}> must be a non-negative integer (got '${t}')`);
  const unit = r.attr('unit');
  const bytes = scaledBytes(Number(t), unit, defaultUnit);
  if (bytes === undefined) r.fatal('invalid-value', `unknown unit '${unit}'`, 'unit');
  return bytesToKiB(bytes!);
}

/** Scaled value held in an attribute pair (e.g. size='2' unit='M'). */
export function readScaledAttr(r: ElementReader, name: string, unitAttr: string, defaultUnit = 'KiB'): number | undefined {
  const v = r.intAttr(name);
  if (v === undefined) return undefined;
  const unit = r.attr(unitAttr);
  const bytes = scaledBytes(v, unit, defaultUnit);
  if (bytes === undefined) r.fatal('invalid-value', `unknown unit '${unit}'`, unitAttr);
  return bytesToKiB(bytes!);
}

/** Scaled value in bytes (cache lines are a few bytes, below KiB precision). */
function scaledAttrBytes(r: ElementReader, name: string, unitAttr: string, defaultUnit: string): number {
  const v = r.intAttr(name);
  if (v === undefined) r.fatal('missing-attribute', `<${r.el.name}> needs attribute '${name}'`);
  const bytes = scaledBytes(v!, r.attr(unitAttr), defaultUnit);
  if (bytes === undefined) r.fatal('invalid-value', `unknown unit '${r.attr(unitAttr)}'`, unitAttr);
  return bytes!;
}

function sized(r: ElementReader): Sized {
  return { kib: readScaled(r), range: r.range };
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function normaliseUuid(r: ElementReader, raw: string): string {
  const hex = raw.replace(/[-\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) r.fatal('invalid-uuid', `malformed uuid '${raw}'`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Deterministic UUID from the domain name when none is given (libvirt generates a random one;
 * a stable value keeps compiled output reproducible). */
function uuidFromName(name: string): string {
  let h1 = 0x811c9dc5, h2 = 0x01000193, h3 = 0x5bd1e995, h4 = 0x27d4eb2f;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619); h2 = Math.imul(h2 ^ c, 2246822519); h3 = Math.imul(h3 ^ c, 3266489917); h4 = Math.imul(h4 ^ c, 668265263);
  }
  const hex = [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
  const v = hex.slice(0, 12) + '4' + hex.slice(13, 16) + ((parseInt(hex[16]!, 16) & 3) | 8).toString(16) + hex.slice(17, 32);
  return `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20)}`;
}

const LIFECYCLE = ['destroy', 'restart', 'preserve', 'rename-restart', 'coredump-destroy', 'coredump-restart'] as const;

export function buildDomain(root: XElement, diags: DiagnosticSink): Domain {
  const r = new ElementReader(root, diags);
  root.used = true;
  if (root.local !== 'domain' || root.ns !== null) r.fatal('not-a-domain', `expected a <domain> root element, found <${root.name}>`);
  const type = r.requireAttr('type');
  if (!['qemu', 'kvm', 'hvf'].includes(type)) r.fatal('unsupported-domain-type', `domain type '${type}' is not handled by the QEMU driver (use qemu, kvm or hvf)`, 'type');
  r.accept('id'); // a live domain's id; a new guest always gets a fresh one

  const nameEl = r.child('name');
  if (!nameEl) r.fatal('missing-element', 'a domain needs a <name>');
  const name = nameEl!.text();
  if (!name) nameEl!.fatal('invalid-value', 'domain name must not be empty');
  if (name.includes('/')) nameEl!.fatal('invalid-value', `domain name '${name}' must not contain '/'`);
  const uuidEl = r.child('uuid');
  const uuid = uuidEl ? normaliseUuid(uuidEl, uuidEl.text()) : uuidFromName(name);
  const genidEl = r.child('genid');
  const genid = genidEl ? (genidEl.text() ? normaliseUuid(genidEl, genidEl.text()) : 'auto') : undefined;
  for (const n of ['title', 'description', 'metadata']) r.child(n)?.acceptSubtree();
  r.child('idmap')?.acceptSubtree(); // user namespace id maps are for container drivers; the QEMU driver ignores them

  const memEl = r.child('memory');
  if (!memEl) r.fatal('missing-element', 'a domain needs <memory>');
  memEl!.accept('dumpCore');
  const memory = sized(memEl!);
  const dumpCore = memEl!.el.attrs.find((a) => a.name === 'dumpCore')?.value;
  const maxEl = r.child('maxMemory');
  const maxMemory = maxEl ? { kib: readScaled(maxEl), slots: maxEl.intAttr('slots') ?? 0, range: maxEl.range } : undefined;
  const curEl = r.child('currentMemory');
  const currentMemory = curEl ? sized(curEl) : undefined;
  r.child('blkiotune')?.acceptSubtree(); // cgroup settings: applied by the runtime, not on the command line
  r.child('memtune')?.acceptSubtree();
  r.child('cputune')?.acceptSubtree();
  r.child('resource')?.acceptSubtree();

  const vcpuEl = r.child('vcpu');
  const vcpus = vcpuEl ? Number(vcpuEl.text() || '1') : 1;
  if (vcpuEl && !/^[0-9]+$/.test(vcpuEl.text())) vcpuEl.fatal('invalid-number', `<vcpu> must be a positive integer (got '${vcpuEl.text()}')`);
  if (vcpus < 1) vcpuEl!.fatal('invalid-value', 'a domain needs at least one vcpu');
  const vcpusCurrent = vcpuEl?.intAttr('current');
  vcpuEl?.accept('placement', 'cpuset'); // host pinning, not guest-visible
  if (vcpusCurrent !== undefined && vcpusCurrent > vcpus) vcpuEl!.fatal('invalid-value', `current vcpus (${vcpusCurrent}) must not exceed the maximum (${vcpus})`, 'current');
  const vcpusEl = r.child('vcpus');
  if (vcpusEl) {
    for (const v of vcpusEl.children('vcpu')) {
      // vCPUs hotplugged at start are added over QMP from query-hotpluggable-cpus; plain ones carry no option
      if (v.boolAttr('enabled') && v.boolAttr('hotpluggable')) v.fatal('unsupported', `unsupported: hotpluggable enabled <vcpu> at ${v.range.start.line}:${v.range.start.column}`);
    }
    vcpusEl.acceptSubtree();
  }
  const iothreads = readIOThreads(r);

  const os = readOs(r);
  const features = readFeatures(r);
  const cpuEl = r.child('cpu');
  const cpu = cpuEl ? readCpu(cpuEl) : undefined;
  const clock = readClock(r);
  const lc = (n: string, d: LifecycleAction): LifecycleAction => r.child(n)?.text() as LifecycleAction | undefined ?? d;
  const onPoweroff = lc('on_poweroff', 'destroy');
  const onReboot = lc('on_reboot', 'restart');
  const onCrash = lc('on_crash', 'destroy');
  for (const [n, v] of [['on_poweroff', onPoweroff], ['on_reboot', onReboot], ['on_crash', onCrash]] as const) {
    if (!(LIFECYCLE as readonly string[]).includes(v)) r.child(n)!.fatal('invalid-value', `<${n}> must be one of ${LIFECYCLE.join(', ')} (got '${v}')`);
  }
  const onLockfailure = r.child('on_lockfailure')?.text();
  const pmEl = r.child('pm');
  const pm: Domain['pm'] = {};
  if (pmEl) {
    const mem = pmEl.child('suspend-to-mem');
    const disk = pmEl.child('suspend-to-disk');
    if (mem) pm.suspendToMem = mem.boolAttr('enabled');
    if (disk) pm.suspendToDisk = disk.boolAttr('enabled');
  }
  const memoryBacking = readMemoryBacking(r);
  const numatune = readNumaTune(r);
  const sysinfo = r.children('sysinfo').map(readSysinfo);
  const seclabels = r.children('seclabel').map((s) => {
    s.acceptSubtree();
    return { type: s.attr('type') ?? 'dynamic', model: s.attr('model'), relabel: s.boolAttr('relabel') };
  });
  const launchSecurity = readLaunchSecurity(r);
  const devEl = r.child('devices');
  const emulatorEl = devEl?.child('emulator');
  const emulator = emulatorEl ? { path: emulatorEl.text(), range: emulatorEl.range } : undefined;
  const devices = devEl ? readDevices(devEl) : [];
  const qemu = readQemuNamespace(r);

  const domain: Domain = {
    type: type as DomainType, name, uuid, genid, memory, maxMemory, currentMemory, vcpus, vcpusCurrent,
    vcpuRange: vcpuEl?.range ?? r.range, iothreads, os, features, cpu, clock, onPoweroff, onReboot, onCrash,
    onLockfailure, pm, memoryBacking, numatune, emulator, devices, sysinfo, launchSecurity, seclabels, qemu, range: r.range,
  };
  if (dumpCore !== undefined) (domain as Domain & { dumpCore?: boolean }).dumpCore = dumpCore === 'on';
  return domain;
}

const MAX_IOTHREADS = 4096;

function readIOThreads(r: ElementReader): IOThreads | undefined {
  const el = r.child('iothreads');
  const idsEl = r.child('iothreadids');
  if (!el && !idsEl) return undefined;
  const count = el ? Number(el.text()) : 0;
  if (!Number.isInteger(count) || count < 0) el!.fatal('invalid-number', `<iothreads> must be a non-negative integer (got '${el!.text()}')`);
  // every I/O thread is a QEMU object and a host thread: a count beyond this is a typo
  if (count > MAX_IOTHREADS) el!.fatal('invalid-value', `<iothreads> ${count} is more than ${MAX_IOTHREADS}`);
  const ids: IOThreads['ids'] = (idsEl?.children('iothread') ?? []).map((t) => {
    const poll = t.child('poll');
    return {
      id: t.intAttr('id')!, poolMin: t.intAttr('thread_pool_min'), poolMax: t.intAttr('thread_pool_max'),
      pollMax: poll?.intAttr('max'), pollGrow: poll?.intAttr('grow'), pollShrink: poll?.intAttr('shrink'),
    };
  });
  for (let i = 1; ids.length < count; i++) if (!ids.some((x) => x.id === i)) ids.push({ id: i });
  return { count: Math.max(count, ids.length), ids };
}

function readOs(r: ElementReader): Os {
  const el = r.child('os');
  if (!el) r.fatal('missing-element', 'a domain needs <os>');
  const os = el!;
  const typeEl = os.child('type');
  if (!typeEl) os.fatal('missing-element', '<os> needs a <type>');
  const osType = typeEl!.text();
  if (osType !== 'hvm') typeEl!.fatal('unsupported', `unsupported: os type '${osType}' (the QEMU driver runs hvm guests)`);
  const firmware = os.enumAttr('firmware', ['bios', 'efi'] as const);
  const fwEl = os.child('firmware');
  const firmwareFeatures = (fwEl?.children('feature') ?? []).map((f) => ({ name: f.requireAttr('name'), enabled: f.boolAttr('enabled') ?? false }));
  const boot: BootDev[] = os.children('boot').map((b) => ({ dev: b.enumAttr('dev', ['hd', 'cdrom', 'fd', 'network'] as const)!, range: b.range }));
  const bm = os.child('bootmenu');
  const bios = os.child('bios');
  const loaderEl = os.child('loader');
  const nvramEl = os.child('nvram');
  const smbios = os.child('smbios');
  const res: Os = {
    arch: typeEl!.attr('arch') ?? 'x86_64',
    machine: typeEl!.attr('machine'),
    osType, firmware, firmwareFeatures, boot,
    bootMenu: bm ? { enable: bm.boolAttr('enable') ?? false, timeout: bm.intAttr('timeout') } : undefined,
    kernel: os.childText('kernel'), initrd: os.childText('initrd'), cmdline: os.child('cmdline')?.el.text, dtb: os.childText('dtb'),
    smbiosMode: smbios?.enumAttr('mode', ['emulate', 'host', 'sysinfo'] as const),
    biosUseSerial: bios?.boolAttr('useserial'), rebootTimeout: bios?.intAttr('rebootTimeout'),
    range: os.range,
  };
  if (loaderEl) {
    res.loader = {
      path: loaderEl.text() || undefined, readonly: loaderEl.boolAttr('readonly'),
      type: loaderEl.enumAttr('type', ['rom', 'pflash'] as const), secure: loaderEl.boolAttr('secure'),
      stateless: loaderEl.boolAttr('stateless'), format: loaderEl.attr('format'), range: loaderEl.range,
    };
  }
  if (nvramEl) {
    const src = nvramEl.child('source');
    res.nvram = { path: nvramEl.text() || undefined, template: nvramEl.attr('template'), format: nvramEl.attr('format'), range: nvramEl.range };
    const t = nvramEl.attr('type');
    if (src && !t) src.fatal('missing-attribute', "<nvram> with a <source> needs a type (file, block or network)");
    if (t && src) {
      const opt = (n: string): Record<string, string> => { const v = src.attr(n); return v === undefined ? {} : { [n]: v }; };
      res.nvram.source = {
        type: t, ...opt('file'), ...opt('dev'), ...opt('protocol'), ...opt('name'),
        hosts: src.children('host').map((h) => {
          const o: Record<string, string> = {};
          for (const n of ['name', 'port', 'transport', 'socket']) { const v = h.attr(n); if (v !== undefined) o[n] = v; }
          return o;
        }),
      };
    }
  }
  os.child('init')?.fatal('unsupported', 'unsupported: <init> (container guests) in a QEMU domain');
  const acpi = os.child('acpi');
  if (acpi) acpi.fatal('unsupported', `unsupported: <os><acpi> tables at ${acpi.range.start.line}:${acpi.range.start.column}`);
  return res;
}

function readFeatures(r: ElementReader): Features {
  const el = r.child('features');
  const f: Features = {};
  if (!el) return f;
  f.range = el.range;
  for (const c of el.allChildren()) {
    const state = (): boolean => c.boolAttr('state') ?? true;
    switch (c.name) {
      case 'acpi': f.acpi = true; break;
      case 'apic': f.apic = { eoi: c.boolAttr('eoi') }; break;
      case 'pae': f.pae = true; break;
      case 'hap': f.hap = state(); break;
      case 'viridian': f.viridian = true; break;
      case 'privnet': f.privnet = true; break;
      case 'pvspinlock': f.pvspinlock = state(); break;
      case 'pmu': f.pmu = state(); break;
      case 'vmport': f.vmport = state(); break;
      case 'vmcoreinfo': f.vmcoreinfo = state(); break;
      case 'htm': f.htm = state(); break;
      case 'smm': {
        const tseg = c.child('tseg');
        let tsegKiB: number | undefined;
        if (tseg) tsegKiB = readScaled(tseg, 'MiB');
        f.smm = { state: state(), tsegKiB };
        break;
      }
      case 'ioapic': f.ioapic = c.enumAttr('driver', ['qemu', 'kvm'] as const); break;
      case 'hyperv': f.hyperv = readHyperv(c); break;
      case 'kvm': {
        f.kvm = {};
        for (const k of c.allChildren()) f.kvm[k.name] = { state: k.boolAttr('state') ?? true, value: k.name === 'dirty-ring' ? k.attr('size') : undefined };
        break;
      }
      case 'msrs': f.msrs = c.attr('unknown'); break;
      case 'tcg': {
        const tb = c.child('tb-cache');
        f.tcg = { tbCacheMiB: tb ? readScaled(tb, 'MiB') / 1024 : undefined };
        break;
      }
      case 'async-teardown': f.asyncTeardown = c.boolAttr('enabled'); break;
      default:
        c.fatal('unsupported', `unsupported: <features><${c.el.name}> at ${c.range.start.line}:${c.range.start.column}`);
    }
  }
  return f;
}

function readHyperv(c: ElementReader): HyperV {
  const mode = c.enumAttr('mode', ['custom', 'passthrough'] as const) ?? 'custom';
  const features: HyperV['features'] = [];
  for (const h of c.allChildren()) {
    const extra: Record<string, string | boolean> = {};
    for (const sub of h.allChildren()) {
      // e.g. <stimer><direct state='on'/></stimer>
      extra[sub.name] = sub.boolAttr('state') ?? true;
    }
    const value = h.attr('retries') ?? h.attr('value');
    features.push({ name: h.name, state: h.boolAttr('state') ?? true, value, extra });
  }
  return { mode, features };
}

function readCpu(el: ElementReader): Cpu {
  const mode = el.enumAttr('mode', ['custom', 'host-model', 'host-passthrough', 'maximum'] as const) ?? 'custom';
  const modelEl = el.child('model');
  const topoEl = el.child('topology');
  const cpu: Cpu = {
    mode, match: el.enumAttr('match', ['minimum', 'exact', 'strict'] as const), check: el.attr('check'),
    migratable: el.boolAttr('migratable'), model: modelEl?.text() || undefined,
    fallback: modelEl?.enumAttr('fallback', ['allow', 'forbid'] as const),
    vendorId: modelEl?.attr('vendor_id'), vendor: el.childText('vendor'), features: [], numa: [], interconnects: [], numaCaches: [],
    range: el.range,
  };
  if (topoEl) {
    cpu.topology = {
      sockets: topoEl.intAttr('sockets') ?? 1, dies: topoEl.intAttr('dies') ?? 1,
      cores: topoEl.intAttr('cores') ?? 1, threads: topoEl.intAttr('threads') ?? 1,
    };
    const clusters = topoEl.intAttr('clusters');
    if (clusters !== undefined && clusters !== 1) topoEl.fatal('unsupported', `unsupported: CPU clusters (clusters='${clusters}') at ${topoEl.range.start.line}:${topoEl.range.start.column}`, 'clusters');
  }
  cpu.features = el.children('feature').map((f): CpuFeature => ({
    name: f.requireAttr('name'),
    policy: f.enumAttr('policy', ['force', 'require', 'optional', 'disable', 'forbid'] as const) ?? 'require',
    range: f.range,
  }));
  const cache = el.child('cache');
  if (cache) cpu.cacheMode = { level: cache.intAttr('level'), mode: cache.enumAttr('mode', ['emulate', 'passthrough', 'disable'] as const)! };
  const mpa = el.child('maxphysaddr');
  if (mpa) cpu.maxphysaddr = { mode: mpa.enumAttr('mode', ['passthrough', 'emulate'] as const)!, bits: mpa.intAttr('bits') };
  const numa = el.child('numa');
  if (numa) {
    cpu.numa = numa.children('cell').map((c, i): NumaCell => {
      const memKiB = readScaledAttr(c, 'memory', 'unit') ?? 0;
      const dist = c.child('distances');
      const caches = c.children('cache');
      for (const ca of caches) {
        const size = ca.child('size');
        const line = ca.child('line');
        cpu.numaCaches.push({
          cell: c.intAttr('id') ?? i, level: ca.intAttr('level')!, associativity: ca.attr('associativity')!, policy: ca.attr('policy')!,
          sizeKiB: size ? readScaledAttr(size, 'value', 'unit')! : 0, lineBytes: line ? scaledAttrBytes(line, 'value', 'unit', 'b') : 0,
        });
      }
      return {
        id: c.intAttr('id') ?? i, cpus: c.attr('cpus'), memoryKiB: memKiB,
        memAccess: c.enumAttr('memAccess', ['shared', 'private'] as const), discard: c.boolAttr('discard'),
        distances: (dist?.children('sibling') ?? []).map((s) => ({ id: s.intAttr('id')!, value: s.intAttr('value')! })),
        caches: [], range: c.range,
      };
    });
    const ic = numa.child('interconnects');
    if (ic) {
      for (const x of ic.allChildren()) {
        cpu.interconnects.push({
          kind: x.name as 'latency' | 'bandwidth', initiator: x.intAttr('initiator')!, target: x.intAttr('target')!,
          cache: x.intAttr('cache'), type: x.requireAttr('type'), value: x.intAttr('value')!, unit: x.attr('unit'),
        });
      }
    }
  }
  return cpu;
}

function readClock(r: ElementReader): Clock {
  const el = r.child('clock');
  if (!el) return { offset: 'utc', timers: [] };
  const offset = el.enumAttr('offset', ['utc', 'localtime', 'timezone', 'variable', 'absolute'] as const) ?? 'utc';
  const adj = el.attr('adjustment');
  const timers: Timer[] = el.children('timer').map((t) => {
    const cu = t.child('catchup');
    cu?.acceptSubtree();
    return {
      name: t.requireAttr('name'), present: t.boolAttr('present'), tickpolicy: t.attr('tickpolicy'), track: t.attr('track'),
      frequency: t.intAttr('frequency'), mode: t.attr('mode'), catchupThreshold: cu ? Number(cu.attr('threshold')) : undefined, range: t.range,
    };
  });
  return {
    offset,
    adjustment: adj === undefined ? undefined : adj === 'reset' ? 'reset' : Number(adj),
    basis: el.enumAttr('basis', ['utc', 'localtime'] as const),
    start: el.intAttr('start'),
    timezone: el.attr('timezone'),
    timers, range: el.range,
  };
}

function readMemoryBacking(r: ElementReader): MemoryBacking | undefined {
  const el = r.child('memoryBacking');
  if (!el) return undefined;
  const mb: MemoryBacking = { range: el.range };
  const hp = el.child('hugepages');
  if (hp) {
    mb.hugepages = {
      pages: hp.children('page').map((p) => ({ sizeKiB: readScaledAttr(p, 'size', 'unit'), nodeset: p.attr('nodeset') })),
    };
  }
  if (el.child('nosharepages')) mb.nosharepages = true;
  if (el.child('locked')) mb.locked = true;
  const src = el.child('source');
  if (src) mb.source = src.enumAttr('type', ['file', 'anonymous', 'memfd'] as const);
  const acc = el.child('access');
  if (acc) mb.access = acc.enumAttr('mode', ['shared', 'private'] as const);
  const alloc = el.child('allocation');
  if (alloc) mb.allocation = { mode: alloc.enumAttr('mode', ['immediate', 'ondemand'] as const), threads: alloc.intAttr('threads') };
  if (el.child('discard')) mb.discard = true;
  return mb;
}

function readNumaTune(r: ElementReader): NumaTune | undefined {
  const el = r.child('numatune');
  if (!el) return undefined;
  const modes = ['strict', 'preferred', 'interleave', 'restrictive'] as const;
  const mem = el.child('memory');
  return {
    memory: mem ? { mode: mem.enumAttr('mode', modes) ?? 'strict', nodeset: mem.attr('nodeset'), placement: mem.attr('placement') } : undefined,
    memnodes: el.children('memnode').map((m) => ({ cellid: m.intAttr('cellid')!, mode: m.enumAttr('mode', modes) ?? 'strict', nodeset: m.requireAttr('nodeset') })),
  };
}

function readSysinfo(s: ElementReader): Sysinfo {
  const type = s.enumAttr('type', ['smbios', 'fwcfg'] as const) ?? 'smbios';
  const si: Sysinfo = { type, sections: {}, fwcfg: [], range: s.range };
  for (const sec of s.allChildren()) {
    if (type === 'fwcfg' && sec.name === 'entry') {
      si.fwcfg.push({ name: sec.requireAttr('name'), value: sec.text() || undefined, file: sec.attr('file') });
      continue;
    }
    if (sec.name === 'oemStrings') {
      for (const e of sec.children('entry')) (si.oemStrings ??= []).push(e.text());
      continue;
    }
    if (!['bios', 'system', 'baseBoard', 'chassis', 'processor', 'memory'].includes(sec.name)) {
      sec.fatal('unsupported', `unsupported: <sysinfo><${sec.el.name}> at ${sec.range.start.line}:${sec.range.start.column}`);
    }
    const entries: Record<string, string> = {};
    for (const e of sec.children('entry')) entries[e.requireAttr('name')] = e.text();
    (si.sections[sec.name] ??= []).push(entries);
  }
  return si;
}

function readLaunchSecurity(r: ElementReader): LaunchSecurity | undefined {
  const el = r.child('launchSecurity');
  if (!el) return undefined;
  const type = el.enumAttr('type', ['sev', 's390-pv', 'sev-snp'] as const)!;
  const num = (n: string): number | undefined => { const t = el.childText(n); return t === undefined ? undefined : Number(t); };
  return {
    type, cbitpos: num('cbitpos'), reducedPhysBits: num('reducedPhysBits'),
    policy: el.childText('policy') !== undefined ? parseInt(el.childText('policy')!, 16) : undefined,
    dhCert: el.childText('dhCert'), session: el.childText('session'), kernelHashes: el.boolAttr('kernelHashes'), range: el.range,
  };
}

function readQemuNamespace(r: ElementReader): QemuNamespace {
  const ns: QemuNamespace = { args: [], envs: [], capsAdd: [], capsDel: [], overrides: [] };
  for (const cl of r.children('commandline', QEMU_NS)) {
    for (const c of cl.allChildren()) {
      if (c.el.ns !== QEMU_NS) c.fatal('unsupported', `unsupported: <${c.el.name}> inside <qemu:commandline>`);
      if (c.name === 'arg') ns.args.push({ value: c.requireAttr('value'), range: c.range });
      else if (c.name === 'env') {
        const name = c.requireAttr('name');
        const envProblem = qemuEnvNameProblem(name);
        if (envProblem) c.fatal('qemu-env-name', envProblem, 'name');
        ns.envs.push({ name, value: c.attr('value'), range: c.range });
      } else c.fatal('unsupported', `unsupported: <qemu:${c.name}> inside <qemu:commandline>`);
    }
  }
  for (const cl of r.children('capabilities', QEMU_NS)) {
    for (const c of cl.allChildren()) {
      if (c.el.ns !== QEMU_NS || (c.name !== 'add' && c.name !== 'del')) c.fatal('unsupported', `unsupported: <${c.el.name}> inside <qemu:capabilities>`);
      (c.name === 'add' ? ns.capsAdd : ns.capsDel).push({ name: c.requireAttr('capability'), range: c.attrRange('capability') });
    }
  }
  const dep = r.child('deprecation', QEMU_NS);
  if (dep) ns.deprecation = { behavior: dep.enumAttr('behavior', ['none', 'omit', 'reject', 'crash'] as const) ?? 'none', range: dep.range };
  for (const ov of r.children('override', QEMU_NS)) {
    for (const d of ov.allChildren()) {
      if (d.el.ns !== QEMU_NS || d.name !== 'device') d.fatal('unsupported', `unsupported: <${d.el.name}> inside <qemu:override>`);
      const o = { alias: d.requireAttr('alias'), range: d.range, properties: [] as QemuNamespace['overrides'][number]['properties'] };
      for (const fe of d.allChildren()) {
        if (fe.el.ns !== QEMU_NS || fe.name !== 'frontend') fe.fatal('unsupported', `unsupported: <${fe.el.name}> inside <qemu:device>`);
        for (const p of fe.allChildren()) {
          if (p.el.ns !== QEMU_NS || p.name !== 'property') p.fatal('unsupported', `unsupported: <${p.el.name}> inside <qemu:frontend>`);
          const type = p.enumAttr('type', ['string', 'signed', 'unsigned', 'bool', 'remove'] as const);
          if (!type) p.fatal('missing-attribute', '<qemu:property> needs a type (string, signed, unsigned, bool or remove)');
          const value = p.attr('value');
          if (value === undefined) { const missing = overridePropertyProblem(p.attr('name'), type!, value); if (missing) p.fatal('qemu-override-value', missing.message); }
          o.properties.push({ name: p.requireAttr('name'), type: type!, value, range: p.range });
        }
      }
      ns.overrides.push(o);
    }
  }
  return ns;
}
