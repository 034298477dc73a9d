// QEMU firmware descriptors (QEMU's docs/interop/firmware.json; files under
// /usr/share/qemu/firmware and friends): what a firmware image is, for which machines, with
// which features. `<os firmware='efi'|'bios'>` picks from them. Like capabilities they are
// host data handed to the compiler; reading the directories is the CLI's job.

export type FirmwareInterface = 'bios' | 'uefi' | 'openfirmware' | 'slof' | 'uboot';

export interface FirmwareImage { filename: string; format: string }

export interface FirmwareDescriptor {
  /** Where it was read from, for messages. */
  path: string;
  interfaces: string[];
  /** flash: pflash code (+ NVRAM vars); memory: a ROM loaded with -bios; kernel: -kernel. */
  device: 'flash' | 'memory' | 'kernel';
  executable: FirmwareImage;
  /** flash, split mode: the varstore template a new NVRAM file is copied from. */
  nvramTemplate?: FirmwareImage;
  /** flash: split (code + vars), combined (one writable image) or stateless (no vars). */
  mode: 'split' | 'combined' | 'stateless';
  targets: { architecture: string; machines: string[] }[];
  features: string[];
}

export class FirmwareDescriptorError extends Error {}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v) throw new FirmwareDescriptorError(`${what} must be a non-empty string`);
  return v;
}

function strings(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new FirmwareDescriptorError(`${what} must be a list of strings`);
  return v as string[];
}

function image(v: unknown, what: string): FirmwareImage {
  const o = (v ?? {}) as Record<string, unknown>;
  if (typeof v !== 'object' || v === null) throw new FirmwareDescriptorError(`${what} is missing`);
  return { filename: str(o.filename, `${what}.filename`), format: o.format === undefined ? 'raw' : str(o.format, `${what}.format`) };
}

/** A descriptor from its JSON text; throws FirmwareDescriptorError on what it cannot use. */
export function parseFirmwareDescriptor(text: string, path: string): FirmwareDescriptor {
  let j: Record<string, unknown>;
  try { j = JSON.parse(text) as Record<string, unknown>; } catch (e) { throw new FirmwareDescriptorError(`not JSON: ${(e as Error).message}`); }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new FirmwareDescriptorError('not a JSON object');
  const mapping = j.mapping as Record<string, unknown> | undefined;
  if (typeof mapping !== 'object' || mapping === null) throw new FirmwareDescriptorError("'mapping' is missing");
  const device = str(mapping.device, 'mapping.device');
  if (device !== 'flash' && device !== 'memory' && device !== 'kernel') throw new FirmwareDescriptorError(`mapping.device '${device}' is not flash, memory or kernel`);
  const mode = mapping.mode === undefined ? 'split' : str(mapping.mode, 'mapping.mode');
  if (mode !== 'split' && mode !== 'combined' && mode !== 'stateless') throw new FirmwareDescriptorError(`mapping.mode '${mode}' is not split, combined or stateless`);
  const executable = device === 'memory' ? { filename: str(mapping.filename, 'mapping.filename'), format: 'raw' } : image(mapping.executable, 'mapping.executable');
  const targets = (Array.isArray(j.targets) ? j.targets : []).map((t: unknown, i: number) => {
    const o = (t ?? {}) as Record<string, unknown>;
    return { architecture: str(o.architecture, `targets[${i}].architecture`), machines: strings(o.machines, `targets[${i}].machines`) };
  });
  const d: FirmwareDescriptor = {
    path, interfaces: strings(j['interface-types'], 'interface-types'), device, executable, mode, targets,
    features: strings(j.features, 'features'),
  };
  if (device === 'flash' && mode === 'split' && mapping['nvram-template'] !== undefined) d.nvramTemplate = image(mapping['nvram-template'], 'mapping.nvram-template');
  return d;
}

/** QEMU's machine globs: `*` any run, `?` one character (fnmatch without brackets). */
export function machineGlobMatches(glob: string, machine: string): boolean {
  let re = '^';
  for (const c of glob) re += c === '*' ? '.*' : c === '?' ? '.' : /[.+^${}()|[\]\\]/.test(c) ? `\\${c}` : c;
  return new RegExp(`${re}$`).test(machine);
}
