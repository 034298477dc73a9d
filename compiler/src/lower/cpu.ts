// -cpu and -smp: the guest CPU model, its features and topology.
import type { LowerContext } from './context.js';
import { machineCaps } from './machine.js';
import { escapeComma } from './qemu-opts.js';

/** QEMU spells some CPU feature names differently from libvirt's CPU map. */
const FEATURE_RENAMES: Record<string, string> = {
  'pclmuldq': 'pclmulqdq', 'ds_cpl': 'ds-cpl', 'tsc_adjust': 'tsc-adjust', 'fxsr_opt': 'fxsr-opt', 'lahf_lm': 'lahf-lm',
  'cmp_legacy': 'cmp-legacy', 'nodeid_msr': 'nodeid-msr', 'perfctr_core': 'perfctr-core', 'perfctr_nb': 'perfctr-nb',
  'tsc-deadline': 'tsc-deadline', 'svm_lock': 'svm-lock', 'nrip_save': 'nrip-save', 'vmcb_clean': 'vmcb-clean',
  'flushbyasid': 'flushbyasid', 'pause_filter': 'pause-filter', 'lm': 'lm', 'sse4.1': 'sse4.1', 'sse4.2': 'sse4.2',
  'xd': 'nx', 'syscall': 'syscall', 'i64': 'lm', 'ffxsr': 'fxsr-opt', 'sse4_1': 'sse4.1', 'sse4_2': 'sse4.2',
  'kvm_pv_eoi': 'kvm-pv-eoi', 'kvm_pv_unhalt': 'kvm-pv-unhalt', 'tsc_scale': 'tsc-scale',
};

export function qemuFeatureName(name: string): string {
  return FEATURE_RENAMES[name] ?? name;
}

const HYPERV_NAMES: Record<string, string> = {
  relaxed: 'hv-relaxed', vapic: 'hv-vapic', spinlocks: 'hv-spinlocks', vpindex: 'hv-vpindex', runtime: 'hv-runtime',
  synic: 'hv-synic', stimer: 'hv-stimer', reset: 'hv-reset', vendor_id: 'hv-vendor-id', frequencies: 'hv-frequencies',
  reenlightenment: 'hv-reenlightenment', tlbflush: 'hv-tlbflush', ipi: 'hv-ipi', evmcs: 'hv-evmcs', avic: 'hv-avic',
  emsr_bitmap: 'hv-emsr-bitmap', xmm_input: 'hv-xmm-input',
};

export function lowerCpu(ctx: LowerContext): void {
  const d = ctx.domain;
  const cpu = d.cpu;
  const parts: string[] = [];
  if (!cpu || (cpu.mode === 'custom' && !cpu.model)) {
    const def = machineCaps(ctx)?.defaultCPU;
    parts.push(def ? def.replace(/-x86_64-cpu$/, '') : 'qemu64');
  } else if (cpu.mode === 'host-passthrough') {
    if (d.type === 'qemu') ctx.fail('invalid-cpu', 'host-passthrough CPU mode needs a hardware-accelerated domain (type kvm or hvf)', cpu.range);
    parts.push('host');
    if (cpu.migratable !== undefined) parts.push(`migratable=${cpu.migratable ? 'on' : 'off'}`);
  } else if (cpu.mode === 'maximum') {
    parts.push('max');
    if (cpu.migratable !== undefined) parts.push(`migratable=${cpu.migratable ? 'on' : 'off'}`);
  } else if (cpu.mode === 'host-model') {
    ctx.unsupported('<cpu mode=\'host-model\'>', cpu.range, 'needs the host CPU model expansion from a live probe');
  } else {
    const model = cpu.model!;
    const known = ctx.caps.cpus.find((c) => c.name === model);
    if (ctx.caps.cpus.length && !known) ctx.fail('unknown-cpu-model', `CPU model '${model}' is not supported by this QEMU binary`, cpu.range);
    parts.push(escapeComma(model));
  }
  if (cpu) {
    if (cpu.vendorId) parts.push(`vendor=${escapeComma(cpu.vendorId)}`);
    for (const f of cpu.features) {
      const name = qemuFeatureName(f.name);
      if (f.policy === 'force' || f.policy === 'require') parts.push(`${name}=on`);
      else if (f.policy === 'disable' || f.policy === 'forbid') parts.push(`${name}=off`);
    }
  }
  for (const t of d.clock.timers) {
    if (t.name === 'kvmclock' && t.present !== undefined) parts.push(`kvmclock=${t.present ? 'on' : 'off'}`);
    if (t.name === 'hypervclock' && t.present !== undefined) parts.push(`hv-time=${t.present ? 'on' : 'off'}`);
  }
  const f = d.features;
  if (f.apic?.eoi !== undefined) parts.push(`kvm-pv-eoi=${f.apic.eoi ? 'on' : 'off'}`);
  if (f.pvspinlock !== undefined) parts.push(`kvm-pv-unhalt=${f.pvspinlock ? 'on' : 'off'}`);
  if (f.hyperv) {
    if (f.hyperv.mode === 'passthrough') parts.push('hv-passthrough=on');
    for (const h of f.hyperv.features) {
      const q = HYPERV_NAMES[h.name];
      if (!q) ctx.unsupported(`<hyperv><${h.name}>`, f.range!);
      if (!h.state) continue;
      if (h.name === 'spinlocks') parts.push(`${q}=0x${Number(h.value ?? 0).toString(16)}`);
      else if (h.name === 'vendor_id') parts.push(`${q}=${escapeComma(h.value ?? '')}`);
      else parts.push(`${q}=on`);
      if (h.name === 'stimer' && h.extra?.direct) parts.push('hv-stimer-direct=on');
    }
  }
  if (f.kvm) {
    for (const [name, v] of Object.entries(f.kvm)) {
      if (name === 'hidden') parts.push(`kvm=${v.state ? 'off' : 'on'}`);
      else if (name === 'hint-dedicated') parts.push(`kvm-hint-dedicated=${v.state ? 'on' : 'off'}`);
      else if (name === 'poll-control') parts.push(`kvm-poll-control=${v.state ? 'on' : 'off'}`);
      else if (name === 'pv-ipi') parts.push(`kvm-pv-ipi=${v.state ? 'on' : 'off'}`);
      else if (name === 'dirty-ring') continue;
      else ctx.unsupported(`<kvm><${name}>`, f.range!);
    }
  }
  if (f.pmu !== undefined) parts.push(`pmu=${f.pmu ? 'on' : 'off'}`);
  if (cpu?.cacheMode) {
    if (cpu.cacheMode.mode === 'passthrough') parts.push('host-cache-info=on');
    else if (cpu.cacheMode.mode === 'emulate') parts.push(`l3-cache=${cpu.cacheMode.level === 3 ? 'on' : 'off'}`);
    else parts.push('l3-cache=off');
  }
  ctx.arg('-cpu', parts.join(','));
}

export function lowerSmp(ctx: LowerContext): void {
  const d = ctx.domain;
  const t = d.cpu?.topology;
  const n = d.vcpus;
  const cur = d.vcpusCurrent ?? n;
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
