// The fixed frame of every command line: environment, master key, uuid, defaults,
// monitor, clock, lifecycle, power management, boot, seccomp and message timestamps.
import type { LowerContext } from './context.js';
import { isQ35 } from './machine.js';
import { keyval } from './qemu-opts.js';

export function lowerEnv(ctx: LowerContext): void {
  const home = ctx.domainDir;
  const host = ctx.opts.hostEnv;
  ctx.env.push(['LC_ALL', 'C']);
  if (host.PATH !== undefined) ctx.env.push(['PATH', host.PATH]);
  ctx.env.push(['HOME', home]);
  if (host.USER !== undefined) ctx.env.push(['USER', host.USER]);
  if (host.LOGNAME !== undefined) ctx.env.push(['LOGNAME', host.LOGNAME]);
  ctx.env.push(['XDG_DATA_HOME', `${home}/.local/share`], ['XDG_CACHE_HOME', `${home}/.cache`], ['XDG_CONFIG_HOME', `${home}/.config`]);
}

/** libvirt passes every domain a master key used to decrypt the secrets it hands QEMU. */
export function lowerMasterKey(ctx: LowerContext): void {
  ctx.object({ 'qom-type': 'secret', id: 'masterKey0', format: 'raw', file: `${ctx.domainDir}/master-key.aes` });
}

export function lowerUuid(ctx: LowerContext): void {
  ctx.arg('-uuid', ctx.domain.uuid);
}

export function lowerDefaults(ctx: LowerContext): void {
  ctx.arg('-no-user-config', '-nodefaults');
}

export function lowerMonitor(ctx: LowerContext): void {
  const fd = ctx.opts.monitorFd;
  ctx.passFds.push({ fd, kind: 'monitor-socket', path: `${ctx.domainDir}/monitor.sock` });
  ctx.arg('-chardev', `socket,id=charmonitor,fd=${fd},server=on,wait=off`);
  ctx.arg('-mon', 'chardev=charmonitor,id=monitor,mode=control');
}

function isoNoMillis(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
}

export function lowerClock(ctx: LowerContext, nowEpochSeconds: number): void {
  const c = ctx.domain.clock;
  const pairs: [string, string | undefined][] = [];
  switch (c.offset) {
    case 'utc': pairs.push(['base', 'utc']); break;
    case 'localtime': pairs.push(['base', 'localtime']); break;
    case 'absolute': pairs.push(['base', isoNoMillis(c.start ?? 0)]); break;
    case 'variable': {
      if (c.basis === 'localtime') ctx.unsupported("<clock offset='variable' basis='localtime'>", c.range ?? ctx.domain.range, "needs the host's time zone offset");
      const adj = typeof c.adjustment === 'number' ? c.adjustment : 0;
      pairs.push(['base', isoNoMillis(nowEpochSeconds + adj)]);
      break;
    }
    case 'timezone':
      ctx.env.push(['TZ', c.timezone ?? 'UTC']);
      pairs.push(['base', 'localtime']);
      break;
  }
  for (const t of c.timers) {
    if (t.name === 'rtc') {
      if (t.track === 'guest') pairs.push(['clock', 'vm']);
      else if (t.track === 'wall' || t.track === 'realtime') pairs.push(['clock', t.track === 'wall' ? 'host' : 'rt']);
      else if (t.track !== undefined) ctx.unsupported(`rtc timer track '${t.track}'`, t.range);
      if (t.tickpolicy === 'catchup') pairs.push(['driftfix', 'slew']);
      else if (t.tickpolicy && t.tickpolicy !== 'delay') ctx.unsupported(`rtc timer tickpolicy '${t.tickpolicy}'`, t.range);
    }
  }
  ctx.arg('-rtc', keyval(pairs));
  for (const t of c.timers) {
    if (t.catchupThreshold !== undefined) ctx.unsupported('<timer><catchup>', t.range);
    if (t.mode !== undefined) ctx.unsupported(`<timer name='${t.name}' mode='${t.mode}'>`, t.range);
    if (t.frequency !== undefined && t.name !== 'tsc') ctx.unsupported(`<timer name='${t.name}' frequency>`, t.range);
    if (t.track !== undefined && t.name !== 'rtc') ctx.unsupported(`<timer name='${t.name}' track>`, t.range);
    if (t.tickpolicy !== undefined && t.name !== 'rtc' && t.name !== 'pit') ctx.unsupported(`<timer name='${t.name}' tickpolicy>`, t.range);
    switch (t.name) {
      case 'pit':
        if (t.tickpolicy === 'delay') ctx.arg('-global', 'kvm-pit.lost_tick_policy=delay');
        else if (t.tickpolicy === 'discard') ctx.arg('-global', 'kvm-pit.lost_tick_policy=discard');
        // catchup is what the in-kernel PIT does by default, so it needs no option
        else if (t.tickpolicy !== undefined && t.tickpolicy !== 'catchup') ctx.unsupported(`pit timer tickpolicy '${t.tickpolicy}'`, t.range);
        break;
      case 'rtc': case 'kvmclock': case 'hypervclock': case 'hpet': case 'tsc':
        break; // handled with -rtc, -cpu, -machine
      default:
        ctx.unsupported(`<timer name='${t.name}'>`, t.range);
    }
  }
}

export function lowerLifecycle(ctx: LowerContext): void {
  // -no-shutdown keeps QEMU alive after guest poweroff so the runtime sees the SHUTDOWN event
  // and decides; reboot/crash handling is applied at start through QMP `set-action`.
  ctx.arg('-no-shutdown');
  if (!ctx.domain.features.acpi && !ctx.has('machine.acpi')) {
    if (ctx.domain.os.firmware === 'efi' || ctx.domain.os.loader?.type === 'pflash') {
      ctx.fail('acpi-required', 'UEFI firmware requires ACPI (add <features><acpi/></features>)', ctx.domain.os.range);
    }
    ctx.arg('-no-acpi');
  }
}

export function lowerPowerManagement(ctx: LowerContext, machine: string): void {
  const pm = ctx.domain.pm;
  const dev = isQ35(machine) ? 'ICH9-LPC' : 'PIIX4_PM';
  if (pm.suspendToMem !== undefined) ctx.arg('-global', `${dev}.disable_s3=${pm.suspendToMem ? 0 : 1}`);
  if (pm.suspendToDisk !== undefined) ctx.arg('-global', `${dev}.disable_s4=${pm.suspendToDisk ? 0 : 1}`);
}

export function lowerBoot(ctx: LowerContext): void {
  const os = ctx.domain.os;
  const pairs: string[] = [];
  if (os.bootMenu) {
    pairs.push(`menu=${os.bootMenu.enable ? 'on' : 'off'}`);
    if (os.bootMenu.enable && os.bootMenu.timeout !== undefined) pairs.push(`splash-time=${os.bootMenu.timeout}`);
  }
  if (os.rebootTimeout !== undefined) pairs.push(`reboot-timeout=${os.rebootTimeout}`);
  pairs.push('strict=on');
  ctx.arg('-boot', pairs.join(','));
  if (os.kernel) ctx.arg('-kernel', os.kernel);
  if (os.initrd) ctx.arg('-initrd', os.initrd);
  if (os.cmdline !== undefined) ctx.arg('-append', os.cmdline);
  if (os.dtb) ctx.arg('-dtb', os.dtb);
}

export function lowerSandbox(ctx: LowerContext): void {
  const mode = ctx.config.seccompSandbox;
  if (mode === 0) { if (ctx.has('seccomp-sandbox')) ctx.arg('-sandbox', 'off'); return; }
  if (!ctx.has('seccomp-sandbox')) return;
  ctx.arg('-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
}

export function lowerMsgTimestamp(ctx: LowerContext): void {
  ctx.arg('-msg', 'timestamp=on');
}
