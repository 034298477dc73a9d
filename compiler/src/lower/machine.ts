// -name, -machine, -accel: what kind of virtual machine this is.
import type { MachineCaps } from '../caps/caps.js';
import { findMachine } from '../caps/caps.js';
import type { LowerContext } from './context.js';
import { hasHmat } from './memory.js';
import { escapeComma, keyval, type JsonProps } from './qemu-opts.js';
import { devicesOf } from '../model/devices/index.js';
import type { Nvram } from '../model/domain.js';
import type { Range } from '../diagnostics.js';
import { pcspkAudiodev } from './sound.js';

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

/** Extra -machine keys settled by the orchestrator (kept for callers; the rest is derived here). */
export interface MachineExtras {
  memoryBackend?: string;
}

function hasNvdimm(ctx: LowerContext): boolean {
  return devicesOf(ctx.domain.devices, 'memory').some((m) => m.model === 'nvdimm');
}

/** <features> that have no QEMU counterpart here: rejected rather than dropped (<pae/> is
 * implied by every x86_64 CPU model, so it is accepted). */
function checkFeatures(ctx: LowerContext): void {
  const f = ctx.domain.features;
  const range = f.range ?? ctx.domain.range;
  if (f.hap !== undefined) ctx.unsupported('<features><hap>', range, 'a Xen feature');
  if (f.viridian) ctx.unsupported('<features><viridian>', range, 'a Xen feature; use <hyperv>');
  if (f.privnet) ctx.unsupported('<features><privnet>', range, 'a container feature');
  if (f.htm !== undefined) ctx.fail('unsupported', `unsupported: <features><htm> at ${range.start.line}:${range.start.column} (a POWER feature, not available on ${ctx.domain.os.arch})`, range);
  if (f.vmcoreinfo !== undefined) ctx.unsupported('<features><vmcoreinfo>', range);
  if (f.msrs !== undefined) ctx.unsupported('<features><msrs>', range);
  if (f.asyncTeardown) ctx.unsupported("<features><async-teardown enabled='yes'>", range);
}

function isPflash(ctx: LowerContext): boolean {
  return ctx.domain.os.loader?.type === 'pflash';
}

/** The pflash firmware (code, then NVRAM vars) as blockdev pairs; returns the -machine keys. */
function lowerPflash(ctx: LowerContext): { pflash0?: string; pflash1?: string } {
  const os = ctx.domain.os;
  const loader = os.loader;
  if (!loader || !isPflash(ctx)) {
    if (os.nvram) ctx.fail('invalid-firmware', '<nvram> needs a pflash <loader type=\'pflash\'>', os.nvram.range);
    return {};
  }
  if (!loader.path) ctx.fail('invalid-firmware', "<loader type='pflash'> needs the firmware image path", loader.range);
  const format = (fmt: string | undefined, range: Range): string => {
    const f = fmt ?? 'raw';
    if (f !== 'raw' && f !== 'qcow2') ctx.fail('invalid-value', `firmware format must be raw or qcow2 (got '${f}')`, range);
    return f;
  };
  const pair = (n: 0 | 1, storage: JsonProps, fmt: string, readOnly: boolean): string => {
    ctx.blockdev({ ...storage, 'node-name': `libvirt-pflash${n}-storage`, 'auto-read-only': true, discard: 'unmap' });
    ctx.blockdev({ 'node-name': `libvirt-pflash${n}-format`, 'read-only': readOnly, driver: fmt, file: `libvirt-pflash${n}-storage` });
    return `libvirt-pflash${n}-format`;
  };
  const out: { pflash0?: string; pflash1?: string } = {};
  out.pflash0 = pair(0, { driver: 'file', filename: loader.path! }, format(loader.format, loader.range), loader.readonly === true);
  if (loader.stateless) {
    if (os.nvram) ctx.fail('invalid-firmware', 'a stateless firmware has no <nvram>', os.nvram.range);
    return out;
  }
  const nv = os.nvram;
  let storage: JsonProps;
  if (nv?.source) {
    storage = nvramNetworkSource(ctx, nv.source, nv.range);
  } else {
    const path = nv?.path ?? `${ctx.config.nvramDir}/${ctx.domain.name}_VARS.fd`;
    storage = { driver: 'file', filename: path };
    ctx.nvram = nv?.template ? { path, template: nv.template } : { path };
  }
  out.pflash1 = pair(1, storage, format(nv?.format, nv?.range ?? loader.range), false);
  return out;
}

function nvramNetworkSource(ctx: LowerContext, src: NonNullable<Nvram['source']>, range: Range): JsonProps {
  const attrs = src as Record<string, unknown>;
  const hosts = (attrs.hosts as Record<string, string>[] | undefined) ?? [];
  if (src.type === 'file' || src.type === 'block') {
    const path = attrs.file ?? attrs.dev;
    if (typeof path !== 'string') ctx.fail('invalid-firmware', `<nvram type='${src.type}'> needs a <source> path`, range);
    return { driver: src.type === 'block' ? 'host_device' : 'file', filename: path };
  }
  if (src.type !== 'network' || attrs.protocol !== 'nbd') {
    ctx.unsupported(`<nvram type='${src.type}'>${attrs.protocol ? ` with protocol '${String(attrs.protocol)}'` : ''}`, range);
  }
  const host = hosts[0];
  if (!host || hosts.length !== 1) ctx.fail('invalid-firmware', 'an nbd <nvram> source needs exactly one <host>', range);
  const server: JsonProps = host!.transport === 'unix'
    ? { type: 'unix', path: host!.socket }
    : { type: 'inet', host: host!.name, port: host!.port ?? '10809' };
  const props: JsonProps = { driver: 'nbd', server };
  if (typeof attrs.name === 'string') props.export = attrs.name;
  return props;
}

export function lowerMachine(ctx: LowerContext, extras: MachineExtras): void {
  const d = ctx.domain;
  const type = machineType(ctx);
  const mc = machineCaps(ctx);
  if (!mc && ctx.caps.machines.length) {
    ctx.fail('unsupported-machine', `machine type '${type}' is not supported by ${ctx.domain.emulator?.path ?? 'this QEMU'}`, d.os.range);
  }
  const arch = d.os.arch;
  // qemu-system-x86_64 runs i686 guests too
  if (ctx.caps.arch && arch !== ctx.caps.arch && !(ctx.caps.arch === 'x86_64' && arch === 'i686')) {
    ctx.fail('unsupported-arch', `emulator '${d.emulator?.path ?? ctx.caps.emulator ?? 'qemu'}' does not support arch '${arch}'`, d.os.range);
  }
  checkFeatures(ctx);
  const f = d.features;
  const loader = d.os.loader;
  if (loader?.secure) {
    if (!isQ35(type)) ctx.fail('invalid-firmware', 'secure boot is supported with q35 machine types only', loader.range);
    if (!f.smm?.state) ctx.fail('invalid-firmware', 'secure boot requires the SMM feature enabled (<features><smm state=\'on\'/>)', loader.range);
  }
  if (f.smm?.tsegKiB !== undefined) {
    if (f.smm.tsegKiB % 1024 !== 0) ctx.fail('invalid-tseg', 'SMM TSEG size must be divisible by 1 MiB', f.range!);
    if (!isQ35(type)) ctx.fail('invalid-tseg', 'SMM TSEG size can only be set on q35 machine types', f.range!);
    if (!f.smm.state) ctx.fail('invalid-tseg', 'SMM TSEG size needs SMM enabled', f.range!);
    ctx.requireFlag('mch.extended-tseg-mbytes', 'setting the SMM TSEG size', f.range!);
  }
  const pflash = lowerPflash(ctx);
  const pairs: [string, string | number | boolean | undefined][] = [['usb', false]];
  if (f.vmport !== undefined) {
    ctx.requireFlag('machine-vmport-opt', '<vmport>', f.range!);
    pairs.push(['vmport', f.vmport]);
  }
  if (f.smm !== undefined) pairs.push(['smm', f.smm.state]);
  if (f.ioapic === 'qemu') pairs.push(['kernel_irqchip', 'split']);
  else if (f.ioapic === 'kvm') pairs.push(['kernel_irqchip', 'on']);
  const dumpCore = (d as { dumpCore?: boolean }).dumpCore;
  pairs.push(['dump-guest-core', dumpCore ?? false]);
  if (d.memoryBacking?.nosharepages) pairs.push(['mem-merge', false]);
  const pcspk = pcspkAudiodev(ctx);
  if (pcspk) pairs.push(['pcspk-audiodev', pcspk]);
  if (hasNvdimm(ctx)) pairs.push(['nvdimm', true]);
  if (extras.memoryBackend) pairs.push(['memory-backend', extras.memoryBackend]);
  if (d.launchSecurity) pairs.push(['confidential-guest-support', 'lsec0']);
  if (pflash.pflash0) pairs.push(['pflash0', pflash.pflash0]);
  if (pflash.pflash1) pairs.push(['pflash1', pflash.pflash1]);
  if (hasHmat(ctx)) pairs.push(['hmat', true]);
  const hpet = d.clock.timers.find((t) => t.name === 'hpet');
  if (hpet?.present !== undefined) {
    // without the machine property QEMU only offers -no-hpet
    if (ctx.has('machine-hpet')) pairs.push(['hpet', hpet.present]);
    else if (hpet.present) ctx.unsupported("<timer name='hpet' present='yes'>", hpet.range, 'this QEMU has no hpet machine property');
  }
  if (ctx.has('machine.acpi')) pairs.push(['acpi', Boolean(f.acpi)]);
  ctx.arg('-machine', keyval(pairs, type));
}

export function lowerAccel(ctx: LowerContext): void {
  const d = ctx.domain;
  const accel = accelName(ctx);
  if (accel === 'kvm' && !ctx.has('kvm')) ctx.fail('missing-capability', 'domain type kvm needs KVM, which this QEMU binary does not offer', d.range);
  if (accel === 'hvf' && !ctx.has('hvf')) ctx.fail('missing-capability', "domain type 'hvf' is not supported by this QEMU binary (it offers no Hypervisor.framework accelerator)", d.range);
  const pairs: [string, string | number | undefined][] = [];
  if (d.features.tcg?.tbCacheMiB !== undefined) {
    if (accel !== 'tcg') ctx.fail('invalid-feature', '<tcg><tb-cache> applies to TCG domains (type=\'qemu\') only', d.features.range!);
    pairs.push(['tb-size', d.features.tcg.tbCacheMiB]);
  }
  const ring = d.features.kvm?.['dirty-ring'];
  if (ring?.state) {
    if (accel !== 'kvm') ctx.fail('invalid-feature', '<kvm><dirty-ring> applies to KVM domains only', d.features.range!);
    const size = Number(ring.value);
    if (!Number.isInteger(size) || size < 1024 || size > 65536 || (size & (size - 1)) !== 0) {
      ctx.fail('invalid-feature', `dirty ring size must be a power of two between 1024 and 65536 (got '${ring.value ?? ''}')`, d.features.range!);
    }
    pairs.push(['dirty-ring-size', size]);
  }
  ctx.arg('-accel', keyval(pairs, accel));
  const tseg = d.features.smm?.tsegKiB;
  if (tseg !== undefined) ctx.arg('-global', `mch.extended-tseg-mbytes=${tseg / 1024}`);
}

/** A ROM loader is passed with -bios; a secure pflash needs the flash's secure mode. */
export function lowerBios(ctx: LowerContext): void {
  const os = ctx.domain.os;
  const loader = os.loader;
  if (os.biosUseSerial) ctx.unsupported("<bios useserial='yes'>", os.range, 'the sgabios option ROM');
  if (!loader) return;
  if (!isPflash(ctx)) {
    if (!loader.path) ctx.fail('invalid-firmware', '<loader> needs the firmware image path', loader.range);
    if (loader.secure) ctx.fail('invalid-firmware', 'secure boot needs a pflash loader', loader.range);
    if (loader.stateless !== undefined || loader.format !== undefined) ctx.unsupported('<loader stateless/format> on a ROM loader', loader.range);
    ctx.arg('-bios', loader.path!);
    return;
  }
  if (loader.secure) ctx.arg('-global', 'driver=cfi.pflash01,property=secure,value=on');
}

/** -object iothread for every <iothreadids> entry (or 1…N from <iothreads>). */
export function lowerIOThreads(ctx: LowerContext): void {
  const io = ctx.domain.iothreads;
  if (!io || !io.ids.length) return;
  ctx.requireFlag('iothread', 'I/O threads', ctx.domain.range);
  for (const t of io.ids) {
    const props: JsonProps = { 'qom-type': 'iothread', id: `iothread${t.id}` };
    if (t.poolMin !== undefined || t.poolMax !== undefined) ctx.requireFlag('iothread.thread-pool-max', 'iothread thread pool sizes', ctx.domain.range);
    if (t.poolMin !== undefined) props['thread-pool-min'] = t.poolMin;
    if (t.poolMax !== undefined) props['thread-pool-max'] = t.poolMax;
    if (t.pollMax !== undefined || t.pollGrow !== undefined || t.pollShrink !== undefined) ctx.requireFlag('iothread.poll-max-ns', 'iothread polling', ctx.domain.range);
    if (t.pollMax !== undefined) props['poll-max-ns'] = t.pollMax;
    if (t.pollGrow !== undefined) props['poll-grow'] = t.pollGrow;
    if (t.pollShrink !== undefined) props['poll-shrink'] = t.pollShrink;
    ctx.object(props);
  }
}

const SMBIOS_FIELDS: [string, number, string[]][] = [
  ['bios', 0, ['vendor', 'version', 'date', 'release']],
  ['system', 1, ['manufacturer', 'product', 'version', 'serial', 'uuid', 'sku', 'family']],
  ['baseBoard', 2, ['manufacturer', 'product', 'version', 'serial', 'asset', 'location']],
  ['chassis', 3, ['manufacturer', 'version', 'serial', 'asset', 'sku']],
];

/** <os><smbios mode='sysinfo'/> → -smbios from <sysinfo type='smbios'>; <sysinfo type='fwcfg'> → -fw_cfg. */
export function lowerSysinfo(ctx: LowerContext): void {
  const d = ctx.domain;
  const mode = d.os.smbiosMode;
  if (mode === 'host') ctx.unsupported("<smbios mode='host'>", d.os.range, "copies the host's SMBIOS tables");
  if (mode === 'sysinfo') {
    const si = d.sysinfo.find((s) => s.type === 'smbios');
    if (!si) ctx.fail('invalid-smbios', "<smbios mode='sysinfo'> needs a <sysinfo type='smbios'>", d.os.range);
    for (const [section, type, fields] of SMBIOS_FIELDS) {
      for (const entries of si!.sections[section] ?? []) {
        for (const k of Object.keys(entries)) {
          if (!fields.includes(k)) ctx.unsupported(`<sysinfo><${section}><entry name='${k}'>`, si!.range);
        }
        if (section === 'system' && entries.uuid !== undefined && entries.uuid.replace(/-/g, '').toLowerCase() !== d.uuid.replace(/-/g, '')) {
          ctx.fail('invalid-smbios', `UUID mismatch between <uuid> and <sysinfo><system><entry name='uuid'>`, si!.range);
        }
        const parts = [`type=${type}`];
        for (const k of fields) if (entries[k] !== undefined) parts.push(`${k}=${escapeComma(entries[k]!)}`);
        if (parts.length > 1) ctx.arg('-smbios', parts.join(','));
      }
    }
    for (const sec of ['processor', 'memory']) {
      if (si!.sections[sec]) ctx.unsupported(`<sysinfo><${sec}>`, si!.range);
    }
    if (si!.oemStrings?.length) ctx.arg('-smbios', ['type=11', ...si!.oemStrings.map((v) => `value=${escapeComma(v)}`)].join(','));
  }
  for (const si of d.sysinfo) {
    if (si.type !== 'fwcfg') continue;
    for (const e of si.fwcfg) {
      if ((e.value === undefined) === (e.file === undefined)) ctx.fail('invalid-fwcfg', `fw_cfg entry '${e.name}' needs either a value or a file`, si.range);
      ctx.arg('-fw_cfg', `name=${escapeComma(e.name)},${e.file !== undefined ? `file=${escapeComma(e.file)}` : `string=${escapeComma(e.value!)}`}`);
    }
  }
}

/** <launchSecurity type='sev'> → the sev-guest object (-machine confidential-guest-support=lsec0). */
export function lowerLaunchSecurity(ctx: LowerContext): void {
  const ls = ctx.domain.launchSecurity;
  if (!ls) return;
  if (ls.type !== 'sev') ctx.unsupported(`<launchSecurity type='${ls.type}'>`, ls.range);
  if (ls.cbitpos === undefined || ls.reducedPhysBits === undefined) ctx.fail('invalid-sev', 'SEV needs <cbitpos> and <reducedPhysBits>', ls.range);
  const props: JsonProps = { 'qom-type': 'sev-guest', id: 'lsec0', cbitpos: ls.cbitpos, 'reduced-phys-bits': ls.reducedPhysBits, policy: ls.policy ?? 0 };
  // libvirt hands QEMU the base64 blobs through files in the domain's private directory
  if (ls.dhCert !== undefined) {
    props['dh-cert-file'] = `${ctx.domainDir}/dh_cert.base64`;
    ctx.files.push({ path: props['dh-cert-file'] as string, content: ls.dhCert, purpose: 'SEV guest owner Diffie-Hellman certificate' });
  }
  if (ls.session !== undefined) {
    props['session-file'] = `${ctx.domainDir}/session.base64`;
    ctx.files.push({ path: props['session-file'] as string, content: ls.session, purpose: 'SEV launch session' });
  }
  if (ls.kernelHashes !== undefined) {
    ctx.requireFlag('sev-guest-kernel-hashes', 'SEV kernelHashes', ls.range);
    props['kernel-hashes'] = ls.kernelHashes;
  }
  ctx.object(props);
}
