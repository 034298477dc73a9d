// What the editor knows about QEMU beyond the probed capabilities: environment variables
// QEMU reads and what each deprecation behaviour does. Our own words.

export const QEMU_ENV_VARS: { name: string; doc: string }[] = [
  { name: 'QEMU_AUDIO_DRV', doc: 'Legacy default audio driver (none, alsa, pa, sdl, spice, wav, oss). libvirt passes it through to decide the implicit audio backend.' },
  { name: 'SDL_AUDIODRIVER', doc: 'Audio driver SDL uses when the sdl audio backend is active.' },
  { name: 'SDL_VIDEODRIVER', doc: 'Video driver SDL uses for the sdl display (x11, wayland, …).' },
  { name: 'DISPLAY', doc: 'X11 display for sdl/gtk windows.' },
  { name: 'XAUTHORITY', doc: 'X11 authority file for sdl/gtk windows.' },
  { name: 'WAYLAND_DISPLAY', doc: 'Wayland display for gtk/sdl windows.' },
  { name: 'QEMU_PA_SERVER', doc: 'PulseAudio server the pa audio backend connects to (legacy; prefer the audiodev server property).' },
  { name: 'PULSE_SERVER', doc: 'PulseAudio server address used by libpulse.' },
  { name: 'QEMU_PA_SAMPLES', doc: 'Legacy PulseAudio buffer size in samples.' },
  { name: 'QEMU_ALSA_DAC_DEV', doc: 'Legacy ALSA playback device.' },
  { name: 'QEMU_ALSA_ADC_DEV', doc: 'Legacy ALSA capture device.' },
  { name: 'QEMU_WAV_PATH', doc: 'Legacy output file of the wav audio backend.' },
  { name: 'SPICE_DEBUG_ALLOW_MC', doc: 'Allow several SPICE clients to connect at once (debugging).' },
  { name: 'SPICE_DEBUG_LEVEL', doc: 'Verbosity of spice-server logging.' },
  { name: 'G_MESSAGES_DEBUG', doc: 'GLib debug message domains to print (e.g. all).' },
  { name: 'QEMU_RDMA_DEBUG', doc: 'Verbose RDMA migration debugging.' },
  { name: 'TMPDIR', doc: 'Directory for temporary files (snapshots, memory files).' },
  { name: 'MALLOC_PERTURB_', doc: 'glibc: fill freed/allocated memory with a byte pattern to catch bugs.' },
  { name: 'MALLOC_CHECK_', doc: 'glibc: heap consistency checking level.' },
  { name: 'LD_PRELOAD', doc: 'Dynamic loader: libraries loaded before all others (debugging/instrumentation).' },
  { name: 'QEMU_MODULE_DIR', doc: 'Directory QEMU loads its modules (block drivers, UI, audio) from.' },
  { name: 'QEMU_FILE_DIR', doc: 'Directory searched for firmware/data files.' },
  { name: 'TZ', doc: 'Time zone of the QEMU process (libvirt sets it for <clock offset=\'timezone\'>).' },
  { name: 'LIBGL_ALWAYS_SOFTWARE', doc: 'Mesa: force software rendering for OpenGL displays (virgl, egl-headless).' },
  { name: 'MESA_LOADER_DRIVER_OVERRIDE', doc: 'Mesa: choose the GPU driver explicitly.' },
  { name: 'VIRGL_DEBUG', doc: 'virglrenderer debug flags.' },
  { name: 'QEMU_SYNC_PROFILE', doc: 'Enable synchronisation profiling at start-up.' },
];

export const DEPRECATION_BEHAVIORS: { value: string; doc: string }[] = [
  { value: 'none', doc: 'Default: QEMU accepts deprecated commands and arguments and reports deprecated fields. No -compat option is passed.' },
  { value: 'omit', doc: 'QEMU leaves deprecated fields out of its output (-compat deprecated-output=hide); input is unchanged.' },
  { value: 'reject', doc: 'QEMU answers deprecated commands/arguments with an error and hides deprecated output (-compat deprecated-input=reject,deprecated-output=hide).' },
  { value: 'crash', doc: 'QEMU aborts when a deprecated command or argument is used — the loudest way to catch deprecated use in CI (-compat deprecated-input=crash,deprecated-output=hide).' },
];

export const OVERRIDE_TYPES: { value: string; doc: string }[] = [
  { value: 'string', doc: 'The value is passed as a JSON string.' },
  { value: 'signed', doc: 'A base-10 signed integer.' },
  { value: 'unsigned', doc: 'A base-10 unsigned integer.' },
  { value: 'bool', doc: 'Exactly true or false.' },
  { value: 'remove', doc: 'Remove the property libvirt formats (no value). Removing a property libvirt does not format is an error.' },
];

/** A QEMU property type (from device-list-properties) → the <qemu:property type> that fits it. */
export function overrideTypeFor(qemuType: string | undefined): string | undefined {
  if (!qemuType) return undefined;
  if (qemuType === 'bool') return 'bool';
  if (/^u?int(8|16|32|64)$/.test(qemuType) || qemuType === 'size') return qemuType.startsWith('u') || qemuType === 'size' ? 'unsigned' : 'signed';
  if (qemuType === 'int') return 'signed';
  return 'string';
}
