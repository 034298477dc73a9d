// The QMP steps the runtime runs after spawning QEMU with -S, in libvirt's order
// (qemuProcessLaunch → qemuProcessFinishStartup): negotiate, apply what cannot be set
// on the command line, query what the runtime needs, then resume the vCPUs.
import type { QmpStep } from '../plan/plan.js';
import type { LowerContext } from './context.js';

export function buildQmpPlan(ctx: LowerContext): QmpStep[] {
  const d = ctx.domain;
  const steps: QmpStep[] = [{ execute: 'qmp_capabilities', purpose: 'leave capabilities negotiation mode' }];
  // -no-shutdown keeps QEMU alive after a guest poweroff; a guest reboot of a domain with
  // <on_reboot>destroy</on_reboot> must end it instead of resetting.
  if (d.onReboot === 'destroy') {
    steps.push({ execute: 'set-action', arguments: { reboot: 'shutdown' }, purpose: "<on_reboot>destroy</on_reboot>: a guest reboot shuts the guest down" });
  }
  steps.push({ execute: 'query-cpus-fast', purpose: 'learn the vCPU thread ids' });
  if (d.iothreads?.count) steps.push({ execute: 'query-iothreads', purpose: 'learn the I/O thread ids' });
  steps.push(...ctx.qmp);
  steps.push({ execute: 'query-status', purpose: 'confirm the guest is in prelaunch/paused state' });
  if (!ctx.opts.startPaused) steps.push({ execute: 'cont', purpose: 'start the vCPUs' });
  return steps;
}
