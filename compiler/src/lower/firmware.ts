// Firmware autoselection: <os firmware='efi'|'bios'> (with <firmware><feature>, <loader
// secure|stateless|type>) picks the first of the host's firmware descriptors that fits the
// domain, in their priority order, and fills in <loader>, <nvram> and SMM as if the XML had
// named them: the pflash and -bios lowering (machine.ts) then does the rest.
import { machineGlobMatches, type FirmwareDescriptor } from '../caps/firmware.js';
import type { LowerContext } from './context.js';
import { machineCaps, machineType } from './machine.js';

/** Features `<firmware><feature name>` may ask for or against. */
const SELECTABLE_FEATURES = ['enrolled-keys', 'secure-boot'];

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Why the descriptor does not fit the domain, or undefined when it does. */
function mismatch(ctx: LowerContext, fw: FirmwareDescriptor, machine: string): string | undefined {
  const os = ctx.domain.os;
  const want = os.firmware === 'efi' ? 'uefi' : 'bios';
  if (!fw.interfaces.includes(want)) return `not ${want === 'uefi' ? 'UEFI' : 'BIOS'} firmware`;
  if (fw.device === 'kernel') return 'a kernel image, not a firmware';
  if (!fw.targets.some((t) => t.architecture === os.arch && t.machines.some((g) => machineGlobMatches(g, machine)))) {
    return `not for ${os.arch} machine ${machine}`;
  }
  const loader = os.loader;
  if (loader?.type === 'pflash' && fw.device !== 'flash') return 'not a pflash firmware';
  if (loader?.type === 'rom' && fw.device !== 'memory') return 'not a ROM firmware';
  if (fw.device === 'flash') {
    if (fw.mode === 'combined') return 'a combined code+vars image (not supported)';
    const stateless = fw.mode === 'stateless';
    // a stateless firmware keeps no variables: only when asked for
    if (stateless && loader?.stateless !== true) return 'stateless (no NVRAM), not asked for';
    if (!stateless && loader?.stateless === true) return 'not stateless';
    if (stateless && os.nvram) return 'stateless, but the domain names an <nvram>';
    for (const img of [fw.executable, fw.nvramTemplate]) {
      if (img && img.format !== 'raw' && img.format !== 'qcow2') return `image format '${img.format}'`;
    }
  }
  for (const f of os.firmwareFeatures) {
    if (!SELECTABLE_FEATURES.includes(f.name)) continue;
    if (f.enabled && !fw.features.includes(f.name)) return `no ${f.name}`;
    if (!f.enabled && fw.features.includes(f.name)) return `has ${f.name}`;
  }
  const smm = fw.features.includes('requires-smm');
  if (loader?.secure === true && !smm) return 'no SMM-protected (secure) flash';
  if (loader?.secure === false && smm) return 'requires SMM-protected (secure) flash';
  if (smm && ctx.domain.features.smm?.state === false) return 'requires SMM, which the domain turns off';
  const pm = ctx.domain.pm;
  if (pm.suspendToMem && !fw.features.includes('acpi-s3')) return 'no ACPI S3 (suspend to RAM)';
  if (pm.suspendToDisk && !fw.features.includes('acpi-s4')) return 'no ACPI S4 (suspend to disk)';
  const sec = ctx.domain.launchSecurity;
  if (sec?.type === 'sev' && !fw.features.includes('amd-sev')) return 'no AMD SEV support';
  if (sec?.type === 'sev-snp' && !fw.features.includes('amd-sev-snp')) return 'no AMD SEV-SNP support';
  return undefined;
}

/** Settles <os firmware> before anything reads the loader, NVRAM or SMM. */
export function selectFirmware(ctx: LowerContext): void {
  const os = ctx.domain.os;
  if (!os.firmware) {
    if (os.firmwareFeatures.length) {
      ctx.fail('invalid-firmware', 'cannot use feature-based firmware autoselection when firmware autoselection is disabled (<firmware><feature> needs <os firmware=…>)', os.range);
    }
    return;
  }
  const given = ctx.opts.firmware;
  const descriptors = typeof given === 'function' ? given() : given;
  if (!descriptors) {
    ctx.unsupported(`<os firmware='${os.firmware}'>`, os.range, 'no firmware descriptors were given to pick from; name the <loader> (and <nvram>) explicitly');
  }
  if (os.loader?.path) {
    ctx.fail('invalid-firmware', `<os firmware='${os.firmware}'> picks the firmware itself: drop the <loader> path, or drop firmware='${os.firmware}'`, os.loader.range);
  }
  const machine = machineCaps(ctx)?.name ?? machineType(ctx);
  const reasons: string[] = [];
  for (const fw of descriptors!) {
    const why = mismatch(ctx, fw, machine);
    if (why === undefined) { apply(ctx, fw); return; }
    reasons.push(`${basename(fw.path)}: ${why}`);
  }
  // No BIOS descriptor is usual (Debian ships none): QEMU's own SeaBIOS is the BIOS then.
  const asked = os.loader !== undefined || os.firmwareFeatures.length > 0;
  if (os.firmware === 'bios' && !asked) return;
  const what = `<os firmware='${os.firmware}'>${os.firmwareFeatures.map((f) => ` ${f.name}=${f.enabled ? 'yes' : 'no'}`).join('')}`;
  ctx.fail('no-firmware', reasons.length
    ? `no firmware descriptor satisfies ${what} for ${os.arch} machine ${machine}: ${reasons.join('; ')}`
    : `no firmware descriptors found for ${what} (looked in /usr/share/qemu/firmware, /etc/qemu/firmware and $XDG_CONFIG_HOME/qemu/firmware; on Debian, install ovmf)`, os.range);
}

function apply(ctx: LowerContext, fw: FirmwareDescriptor): void {
  const d = ctx.domain;
  const os = d.os;
  const range = os.loader?.range ?? os.range;
  if (fw.device === 'memory') {
    os.loader = { ...os.loader, path: fw.executable.filename, type: 'rom', range };
    return;
  }
  const smm = fw.features.includes('requires-smm');
  os.loader = {
    ...os.loader, path: fw.executable.filename, type: 'pflash', readonly: true, format: fw.executable.format,
    secure: smm ? true : os.loader?.secure, stateless: fw.mode === 'stateless' ? true : os.loader?.stateless, range,
  };
  if (smm && !d.features.smm) d.features.smm = { state: true };
  if (fw.mode === 'split') {
    const nv = os.nvram ?? { range: os.range };
    os.nvram = { ...nv, template: nv.template ?? fw.nvramTemplate?.filename, format: nv.format ?? fw.nvramTemplate?.format };
  }
}
