// Reads what a compilation needs from disk (the I/O edge): the domain, the capability
// file and qemu.conf, resolving the driver root. Shared by `compile`, `lint --compile`, `run`.
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { resolve } from 'node:path';
// The compiler's modules themselves, not its index: the index also loads the schema engine,
// which `run` and `compile` never use (a millisecond of `qdc run`'s start-up).
import { CapsParseError, capsFromJson, capsToJson, parseQemuCaps, type QemuCaps } from '../compiler/src/caps/caps.js';
import { defaultDriverConfig, driverConfigFrom, parseConfText, type DriverConfig } from '../compiler/src/conf/qemu-conf.js';
import type { CompileOptions, Diagnostic } from '../compiler/src/index.js';
import { randomKey } from '../runtime/random.js';
import { readFirmwareDescriptors } from '../runtime/firmware-descriptors.js';
import { SecretStore, secretProvider, secretsDir } from '../runtime/secrets.js';
import { resolveRoot, type RootLayout } from '../runtime/root.js';
import { cachedFromFile } from './cache.js';

export class InputError extends Error {
  constructor(message: string, readonly file?: string, readonly line?: number) { super(message); }
}

export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new InputError(`cannot read ${what} '${file}': ${why}`);
  }
}

/** A capability file, parsed once and then read from qdc's cache (keyed by path, size and
 * mtime): parsing the ~3,000-line XML was a visible part of a short `qdc compile`. */
export function loadCaps(file: string): QemuCaps {
  return cachedFromFile('caps', resolve(file), () => {
    const text = readText(file, 'capabilities file');
    try {
      return parseQemuCaps(text);
    } catch (e) {
      if (e instanceof CapsParseError) throw new InputError(`error: ${e.message}`, file, e.line);
      throw e;
    }
  }, capsToJson, capsFromJson);
}

export function loadDriverConfig(file: string | undefined, layout: RootLayout, optional: boolean): { config: DriverConfig; diagnostics: Diagnostic[]; file?: string } {
  if (!file) {
    if (!optional) return { config: defaultDriverConfig(layout.libDir), diagnostics: [] };
    let text: string;
    try { text = readFileSync(layout.qemuConf, 'utf8'); } catch { return { config: defaultDriverConfig(layout.libDir), diagnostics: [] }; }
    return { ...driverConfigFrom(parseConfText(text), layout.libDir), file: layout.qemuConf };
  }
  const text = readText(file, 'qemu.conf');
  return { ...driverConfigFrom(parseConfText(text), layout.libDir), file };
}

/** The first DRM render node of the host, as libvirt picks one for OpenGL displays. */
function firstRenderNode(): string | undefined {
  let names: string[];
  try { names = readdirSync('/dev/dri'); } catch { return undefined; }
  const node = names.filter((n) => n.startsWith('renderD')).sort()[0];
  return node ? `/dev/dri/${node}` : undefined;
}

export interface CompileInputs {
  options: CompileOptions; layout: RootLayout; confDiagnostics: Diagnostic[]; confFile?: string;
  /** The root's secrets encrypted with a start's master key (options.secrets uses a key of
   *  its own: a compile that does not start anything shows ciphertext nobody can read). */
  secretsFor(masterKey: Uint8Array): NonNullable<CompileOptions['secrets']>;
}

const HUGETLBFS_MAGIC = 0x958458f6;

/** The page size of each hugetlbfs mount that exists on this host (its statfs block size). */
function hugepageSizes(mounts: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of mounts) {
    try {
      const st = statfsSync(m);
      if (st.type === HUGETLBFS_MAGIC) out[m] = st.bsize / 1024;
    } catch { /* not mounted here: the compiler falls back to the size the path names */ }
  }
  return out;
}

export function compileInputs(o: { root?: string; capsFile?: string; qemuConf?: string; caps?: QemuCaps; domainId?: number; monitorFd?: number; paused?: boolean }): CompileInputs {
  const layout = resolveRoot(o.root, process.env);
  const caps = o.caps ?? (o.capsFile ? loadCaps(o.capsFile) : undefined);
  if (!caps) throw new InputError('no QEMU capabilities: pass --caps-file FILE (or run `qdc caps` to probe the installed QEMU)');
  const conf = loadDriverConfig(o.qemuConf, layout, o.root !== undefined);
  const store = new SecretStore(secretsDir(layout));
  const secretsFor = (key: Uint8Array): NonNullable<CompileOptions['secrets']> => secretProvider(store, key);
  return {
    layout, confDiagnostics: conf.diagnostics, confFile: conf.file, secretsFor,
    options: {
      caps, config: conf.config, paths: layout, domainId: o.domainId ?? -1,
      hostEnv: {
        PATH: process.env.PATH, USER: process.env.USER, LOGNAME: process.env.LOGNAME,
        QEMU_AUDIO_DRV: process.env.QEMU_AUDIO_DRV, SDL_AUDIODRIVER: process.env.SDL_AUDIODRIVER,
      },
      hostRenderNode: firstRenderNode(),
      hostHugepageKiB: hugepageSizes(conf.config.hugetlbfs),
      monitorFd: o.monitorFd ?? 3, startPaused: o.paused,
      // read only for a domain with <os firmware='…'>
      firmware: () => readFirmwareDescriptors().descriptors,
      secrets: secretsFor(randomKey(32)),
    },
  };
}
