// -device properties that come from the common device info rather than from a family:
// the ACPI index and the option ROM settings.
import type { DeviceInfo } from '../model/device-info.js';

export function acpiIndexProps(info: DeviceInfo): Record<string, unknown> {
  return info.acpiIndex ? { 'acpi-index': info.acpiIndex } : {};
}

/** <rom enabled='no'> empties romfile (no ROM at all); otherwise bar and file pass through. */
export function deviceRomProps(info: DeviceInfo): Record<string, unknown> {
  if (info.romEnabled === false) return { romfile: '' };
  const p: Record<string, unknown> = {};
  if (info.romBar !== undefined) p.rombar = info.romBar ? 1 : 0;
  if (info.romFile !== undefined) p.romfile = info.romFile;
  return p;
}
