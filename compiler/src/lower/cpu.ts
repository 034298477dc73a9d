// -cpu and -smp: the guest CPU model, its features and topology.
import type { LowerContext } from './context.js';
import { machineCaps } from './machine.js';
import { escapeComma } from './qemu-opts.js';
import { devicesByKind } from '../model/devices/index.js';

/** libvirt's CPU map names that QEMU spells differently (QEMU's canonical names since 3.1). */
const FEATURE_RENAMES: Record<string, string> = {
  cmp_legacy: 'cmp-legacy', ds_cpl: 'ds-cpl', fxsr_opt: 'fxsr-opt', kvm_pv_eoi: 'kvm-pv-eoi', kvm_pv_unhalt: 'kvm-pv-unhalt',
  lahf_lm: 'lahf-lm', nodeid_msr: 'nodeid-msr', pclmuldq: 'pclmulqdq', perfctr_core: 'perfctr-core', perfctr_nb: 'perfctr-nb',
  tsc_adjust: 'tsc-adjust',
};

export function qemuFeatureName(name: string, canonical = true): string {
  return canonical ? FEATURE_RENAMES[name] ?? name : name;
}

/** Hyper-V enlightenments in the order libvirt writes them, with QEMU's property names. */
const HYPERV_ORDER: [string, string][] = [
  ['relaxed', 'hv-relaxed'], ['vapic', 'hv-vapic'], ['spinlocks', 'hv-spinlocks'], ['vpindex', 'hv-vpindex'], ['runtime', 'hv-runtime'],
  ['synic', 'hv-synic'], ['stimer', 'hv-stimer'], ['reset', 'hv-reset'], ['vendor_id', 'hv-vendor-id'], ['frequencies', 'hv-frequencies'],
  ['reenlightenment', 'hv-reenlightenment'], ['tlbflush', 'hv-tlbflush'], ['ipi', 'hv-ipi'], ['evmcs', 'hv-evmcs'], ['avic', 'hv-avic'],
  ['emsr_bitmap', 'hv-emsr-bitmap'], ['xmm_input', 'hv-xmm-input'],
];

const KVM_FEATURES = ['hidden', 'hint-dedicated', 'poll-control', 'pv-ipi', 'dirty-ring'];

function cpuModelPart(ctx: LowerContext, parts: string[]): void {
  const d = ctx.domain;
  const cpu = d.cpu;
  if (!cpu || (cpu.mode === 'custom' && !cpu.model)) {
    if (cpu?.features.length) ctx.fail('invalid-cpu', 'CPU features need a CPU <model>', cpu.range);
    const def = machineCaps(ctx)?.defaultCPU;
    parts.push(def ? def.replace(/-x86_64-cpu$/, '') : 'qemu64');
    return;
  }
  if (cpu.mode === 'host-passthrough' || cpu.mode === 'maximum') {
    if (cpu.mode === 'host-passthrough' && d.type === 'qemu') ctx.fail('invalid-cpu', 'host-passthrough CPU mode needs a hardware-accelerated domain (type kvm or hvf)', cpu.range);
    if (cpu.mode === 'maximum') ctx.requireFlag('cpu-max', "<cpu mode='maximum'>", cpu.range);
    parts.push(cpu.mode === 'maximum' ? 'max' : 'host');
    if (cpu.migratable !== undefined) {
      ctx.requireFlag('cpu.migratable', 'the CPU migratable attribute', cpu.range);
      parts.push(`migratable=${cpu.migratable ? 'on' : 'off'}`);
    }
  } else if (cpu.mode === 'host-model') {
    ctx.unsupported("<cpu mode='host-model'>", cpu.range, "needs libvirt's CPU map to expand the host CPU model; use host-passthrough or a named model");
  } else {
    const model = cpu.model!;
    const accel = d.type === 'qemu' ? 'tcg' : 'kvm';
    const known = ctx.caps.cpus.find((c) => c.name === model && c.type === accel) ?? ctx.caps.cpus.find((c) => c.name === model);
    if (ctx.caps.cpus.length && !known) ctx.fail('unknown-cpu-model', `CPU model '${model}' is not supported by this QEMU binary`, cpu.range);
    // with fallback='forbid' (and check other than none) libvirt refuses a model the host cannot run
    if (known?.usable === false && cpu.fallback === 'forbid' && cpu.check !== 'none' && cpu.check !== undefined && d.type !== 'qemu') {
      ctx.fail('unusable-cpu-model', `CPU model '${model}' is not usable on this host`, cpu.range);
    }
    parts.push(escapeComma(model));
  }
  if (cpu.vendorId) {
    if (!/^[\x20-\x7e]{12}$/.test(cpu.vendorId)) ctx.fail('invalid-cpu', 'vendor_id must be exactly 12 printable characters', cpu.range);
    parts.push(`vendor=${escapeComma(cpu.vendorId)}`);
  }
  const canonical = ctx.has('canonical-cpu-features');
  for (const f of cpu.features) {
    const name = escapeComma(qemuFeatureName(f.name, canonical));
    if (f.policy === 'force' || f.policy === 'require') parts.push(`${name}=on`);
    else if (f.policy === 'disable' || f.policy === 'forbid') parts.push(`${name}=off`);
  }
  if (cpu.maxphysaddr) {
    const m = cpu.maxphysaddr;
    if (m.mode === 'passthrough') {
      if (cpu.mode !== 'host-passthrough' && cpu.mode !== 'maximum') ctx.fail('invalid-cpu', "maxphysaddr mode 'passthrough' needs a host-passthrough or maximum CPU", cpu.range);
      parts.push('host-phys-bits=on');
      if (m.bits !== undefined) parts.push(`host-phys-bits-limit=${m.bits}`);
    } else {
      if (m.bits === undefined) ctx.fail('invalid-cpu', "maxphysaddr mode 'emulate' needs bits", cpu.range);
      parts.push(`phys-bits=${m.bits}`);
    }
  }
}

export function lowerCpu(ctx: LowerContext): void {
  const d = ctx.domain;
  const cpu = d.cpu;
  const parts: string[] = [];
  cpuModelPart(ctx, parts);
  for (const t of d.clock.timers) {
    if (t.name === 'kvmclock' && t.present !== undefined) parts.push(`kvmclock=${t.present ? 'on' : 'off'}`);
    if (t.name === 'hypervclock' && t.present !== undefined) parts.push(`hv-time=${t.present ? 'on' : 'off'}`);
    if (t.name === 'tsc' && t.frequency !== undefined) parts.push(`tsc-frequency=${t.frequency}`);
  }
  const f = d.features;
  if (f.apic?.eoi !== undefined) parts.push(`kvm-pv-eoi=${f.apic.eoi ? 'on' : 'off'}`);
  if (f.pvspinlock !== undefined) parts.push(`kvm-pv-unhalt=${f.pvspinlock ? 'on' : 'off'}`);
  if (f.hyperv) {
    if (f.hyperv.mode === 'passthrough') parts.push('hv-passthrough=on');
    for (const h of f.hyperv.features) {
      if (!HYPERV_ORDER.some(([n]) => n === h.name)) ctx.unsupported(`<hyperv><${h.name}>`, f.range!);
    }
    for (const [name, q] of HYPERV_ORDER) {
      const h = f.hyperv.features.find((x) => x.name === name);
      if (!h?.state) continue;
      if (name === 'spinlocks') {
        const retries = Number(h.value);
        if (!Number.isInteger(retries) || retries < 4095) ctx.fail('invalid-hyperv', 'HyperV spinlock retry count must be at least 4095', f.range!);
        parts.push(`${q}=0x${retries.toString(16)}`);
      } else if (name === 'vendor_id') {
        if (!h.value || h.value.length > 12) ctx.fail('invalid-hyperv', 'HyperV vendor_id value must be 1 to 12 characters', f.range!);
        parts.push(`${q}=${escapeComma(h.value!)}`);
      } else parts.push(`${q}=on`);
      for (const sub of Object.keys(h.extra ?? {})) {
        const ok = name === 'stimer' && sub === 'direct' || name === 'tlbflush' && (sub === 'direct' || sub === 'extended');
        if (!ok) ctx.unsupported(`<hyperv><${name}><${sub}>`, f.range!);
      }
      if (name === 'stimer' && h.extra?.direct === true) parts.push('hv-stimer-direct=on');
      if (name === 'tlbflush' && h.extra?.direct === true) parts.push('hv-tlbflush-direct=on');
      if (name === 'tlbflush' && h.extra?.extended === true) parts.push('hv-tlbflush-ext=on');
    }
  }
  // the Hyper-V crash MSRs back <panic model='hyperv'>; libvirt writes the bare flag
  if (devicesByKind(d.devices, 'panic').some((p) => (p as { model?: string }).model === 'hyperv')) parts.push('hv-crash');
  if (f.kvm) {
    for (const name of Object.keys(f.kvm)) if (!KVM_FEATURES.includes(name)) ctx.unsupported(`<kvm><${name}>`, f.range!);
    const k = f.kvm;
    if (k.hidden?.state) parts.push('kvm=off');
    if (k['hint-dedicated']?.state) parts.push('kvm-hint-dedicated=on');
    if (k['poll-control']?.state) parts.push('kvm-poll-control=on');
    if (k['pv-ipi'] && !k['pv-ipi'].state) parts.push('kvm-pv-ipi=off');
    // dirty-ring is an accelerator property (-accel kvm,dirty-ring-size=…)
  }
  if (f.pmu !== undefined) parts.push(`pmu=${f.pmu ? 'on' : 'off'}`);
  if (cpu?.cacheMode) {
    const c = cpu.cacheMode;
    if (c.level !== undefined && (c.level !== 3 || c.mode !== 'emulate')) ctx.unsupported(`<cache level='${c.level}' mode='${c.mode}'>`, cpu.range);
    if (c.mode === 'passthrough') {
      if (cpu.mode !== 'host-passthrough' && cpu.mode !== 'maximum') ctx.fail('invalid-cpu', "CPU cache mode 'passthrough' needs a host-passthrough or maximum CPU", cpu.range);
      parts.push('host-cache-info=on', 'l3-cache=off');
    } else if (c.mode === 'emulate') {
      parts.push('l3-cache=on');
      if (cpu.mode === 'host-passthrough' || cpu.mode === 'maximum') parts.push('host-cache-info=off');
    } else {
      if (cpu.mode === 'host-passthrough' || cpu.mode === 'maximum') parts.push('host-cache-info=off');
      parts.push('l3-cache=off');
    }
  }
  ctx.arg('-cpu', parts.join(','));
}

export function lowerSmp(ctx: LowerContext): void {
  const d = ctx.domain;
  const t = d.cpu?.topology;
  const n = d.vcpus;
  const cur = d.vcpusCurrent ?? n;
  const maxCpus = machineCaps(ctx)?.maxCpus;
  if (maxCpus !== undefined && n > maxCpus) ctx.fail('invalid-vcpus', `Maximum CPUs greater than specified machine type limit ${maxCpus} (<vcpu> is ${n})`, d.vcpuRange);
  const parts: string[] = [String(cur)];
  if (cur !== n) parts.push(`maxcpus=${n}`);
  if (t) {
    if (t.sockets * t.dies * t.cores * t.threads !== n) {
      ctx.fail('invalid-topology', `CPU topology ${t.sockets} sockets × ${t.dies} dies × ${t.cores} cores × ${t.threads} threads does not match ${n} vcpus`, d.cpu!.range);
    }
    parts.push(`sockets=${t.sockets}`);
    if (ctx.has('smp-dies')) parts.push(`dies=${t.dies}`);
    parts.push(`cores=${t.cores}`, `threads=${t.threads}`);
  } else {
    parts.push(`sockets=${n}`, 'cores=1', 'threads=1');
  }
  ctx.arg('-smp', parts.join(','));
}
