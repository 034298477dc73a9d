// Driver roots: libvirt's embedded layout (`--root DIR`, qemu:///embed) or the per-user
// session layout under $XDG_*. Only path arithmetic here; creating the tree is `ensureRoot`.
import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { CompilePaths } from '../compiler/src/index.js';

export interface RootLayout extends CompilePaths {
  kind: 'embed' | 'session';
  root: string;
  qemuConf: string;
  cacheDir: string;
  /** Directories created on first use. */
  tree: string[];
}

export class RootError extends Error {}

export function embedRoot(root: string): RootLayout {
  if (!isAbsolute(root)) throw new RootError(`--root must be an absolute path (got '${root}'), as for libvirt's embedded driver`);
  const sub = ['log/qemu', 'log/swtpm', 'etc/qemu', 'etc/pki/qemu', 'run/qemu', 'run/swtpm', 'cache/qemu', 'lib/qemu', 'lib/swtpm'];
  return {
    kind: 'embed', root, qemuConf: join(root, 'etc/qemu.conf'),
    libDir: join(root, 'lib/qemu'), channelTargetDir: join(root, 'lib/qemu/channel/target'),
    runDir: join(root, 'run/qemu'), logDir: join(root, 'log/qemu'), cacheDir: join(root, 'cache/qemu'),
    swtpmStorageDir: join(root, 'lib/swtpm'), swtpmRunDir: join(root, 'run/swtpm'),
    tree: sub.map((s) => join(root, s)),
  };
}

export function sessionRoot(env: Record<string, string | undefined>): RootLayout {
  const home = env.HOME ?? '/';
  const config = env.XDG_CONFIG_HOME || join(home, '.config');
  const cache = env.XDG_CACHE_HOME || join(home, '.cache');
  const runtime = env.XDG_RUNTIME_DIR || join(cache, 'libvirt-runtime');
  const base = join(config, 'libvirt/qemu');
  const layout: RootLayout = {
    kind: 'session', root: join(config, 'libvirt'), qemuConf: join(config, 'libvirt/qemu.conf'),
    libDir: join(base, 'lib'), channelTargetDir: join(base, 'lib/channel/target'),
    runDir: join(runtime, 'libvirt/qemu/run'), logDir: join(cache, 'libvirt/qemu/log'), cacheDir: join(cache, 'libvirt/qemu/cache'),
    swtpmStorageDir: join(base, 'swtpm'), swtpmRunDir: join(runtime, 'libvirt/qemu/run/swtpm'),
    tree: [],
  };
  layout.tree = [layout.libDir, layout.runDir, layout.logDir, layout.cacheDir, layout.swtpmRunDir!];
  return layout;
}

export function resolveRoot(root: string | undefined, env: Record<string, string | undefined>): RootLayout {
  return root !== undefined ? embedRoot(root) : sessionRoot(env);
}

export function ensureRoot(layout: RootLayout): void {
  for (const d of layout.tree) mkdirSync(d, { recursive: true, mode: 0o700 });
}

/** sun_path holds 108 bytes including the terminating NUL. */
export const UNIX_PATH_MAX = 107;

/** Refuse UNIX socket paths the kernel cannot bind, before anything is started. */
export function checkSocketPaths(paths: readonly string[], layout: RootLayout): void {
  for (const p of paths) {
    const bytes = Buffer.byteLength(p);
    if (bytes > UNIX_PATH_MAX) {
      const hint = layout.kind === 'embed' ? `use a shorter --root (now '${layout.root}', ${Buffer.byteLength(layout.root)} bytes)` : 'use --root with a short absolute path';
      throw new RootError(`UNIX socket path is ${bytes} bytes, longer than the ${UNIX_PATH_MAX}-byte limit: ${p}; ${hint}`);
    }
  }
}
