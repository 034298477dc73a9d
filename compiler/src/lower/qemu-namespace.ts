// The qemu: namespace (libvirt's "unsupported" pass-through): custom argv and env,
// capability add/del, deprecation behaviour and device property overrides. Every use
// taints the domain, and the reason is recorded in the plan.
import type { Domain } from '../model/domain.js';
import { DiagnosticSink } from '../diagnostics.js';
import type { LowerContext } from './context.js';
import { overridePropertyProblem, unknownCapabilityProblem } from '../schema/semantic-rules.js';

/** The capability flags lowering sees: the binary's, edited by <qemu:capabilities>. */
export function effectiveFlags(domain: Domain, flags: ReadonlySet<string>, diags: DiagnosticSink): Set<string> {
  const out = new Set(flags);
  const ns = domain.qemu;
  for (const c of [...ns.capsAdd, ...ns.capsDel]) {
    const problem = unknownCapabilityProblem(c.name);
    if (problem) diags.error('qemu-unknown-capability', problem, c.range);
  }
  for (const c of ns.capsAdd) out.add(c.name);
  for (const c of ns.capsDel) out.delete(c.name);
  return out;
}

export function lowerDeprecation(ctx: LowerContext): void {
  const dep = ctx.domain.qemu.deprecation;
  if (!dep || dep.behavior === 'none') return;
  ctx.tainted.push({ code: 'deprecation', message: `deprecation behavior '${dep.behavior}' is configured` });
  if (!ctx.has('compat-deprecated')) return; // libvirt silently ignores it on QEMU without -compat
  const val = dep.behavior === 'omit' ? 'deprecated-output=hide' : `deprecated-input=${dep.behavior},deprecated-output=hide`;
  ctx.arg('-compat', val);
}

export function recordCapsTaint(ctx: LowerContext): void {
  const ns = ctx.domain.qemu;
  if (ns.capsAdd.length || ns.capsDel.length) {
    const parts = [...ns.capsAdd.map((c) => `+${c.name}`), ...ns.capsDel.map((c) => `-${c.name}`)];
    ctx.tainted.push({ code: 'custom-caps', message: `QEMU capabilities changed: ${parts.join(' ')}` });
  }
}

/** Merge <qemu:override> properties into the -device JSON they name. */
export function applyOverrides(ctx: LowerContext): void {
  for (const ov of ctx.domain.qemu.overrides) {
    const dev = ctx.deviceProps.get(ov.alias);
    if (!dev) {
      ctx.fail('qemu-override-alias', `<qemu:device alias='${ov.alias}'> matches no device (known aliases: ${[...ctx.deviceProps.keys()].join(', ') || 'none'})`, ov.range);
    }
    for (const p of ov.properties) {
      const problem = overridePropertyProblem(p.name, p.type, p.value);
      if (problem) ctx.fail('qemu-override-value', problem.message, p.range);
      switch (p.type) {
        case 'remove':
          if (!(p.name in dev!.props)) ctx.fail('qemu-override-remove', `cannot remove property '${p.name}' of device '${ov.alias}': libvirt does not format it`, p.range);
          delete dev!.props[p.name];
          break;
        case 'string': dev!.props[p.name] = p.value!; break;
        case 'signed':
          dev!.props[p.name] = Number(p.value);
          break;
        case 'unsigned':
          dev!.props[p.name] = Number(p.value);
          break;
        case 'bool':
          dev!.props[p.name] = p.value === 'true';
          break;
      }
    }
    ctx.argv[dev!.argIndex] = JSON.stringify(dev!.props);
    ctx.tainted.push({ code: 'custom-override', message: `device '${ov.alias}' has overridden properties` });
  }
  const seen = new Set<string>();
  for (const ov of ctx.domain.qemu.overrides) {
    if (seen.has(ov.alias)) ctx.fail('qemu-override-duplicate', `device alias '${ov.alias}' is overridden twice`, ov.range);
    seen.add(ov.alias);
  }
}

export function lowerCustomCommandline(ctx: LowerContext): void {
  const ns = ctx.domain.qemu;
  for (const a of ns.args) ctx.arg(a.value);
  for (const e of ns.envs) ctx.env.push([e.name, e.value ?? '']);
  if (ns.args.length) ctx.tainted.push({ code: 'custom-argv', message: `${ns.args.length} custom QEMU argument(s) from <qemu:commandline>` });
  if (ns.envs.length) ctx.tainted.push({ code: 'custom-env', message: `${ns.envs.length} custom environment variable(s) from <qemu:commandline>` });
}
