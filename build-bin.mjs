// `npm run build:bin`: one self-contained `qdc` executable. Output: $QDC_OUTDIR/bin/qdc
// (default dist/bin/qdc).
//
// The executable's runtime is Bun (a pinned release from the npm registry's @oven/bun-*
// packages, or QDC_BUN=/path/to/bun), not Node: on this class of machine a page fault costs
// 3.5-14 us, and Node's start-up alone makes ~3,200 of them (deserializing V8's heap), Bun's
// ~800. `qdc run` spawns QEMU at ~45 ms instead of ~80 (bench/launch.mjs). The npm form,
// dist/qdc.js, stays Node's (build.mjs); the CLI code is the same, and the end-to-end suite
// runs against either (QDC_BIN).
//
// esbuild bundles cli/launcher/standalone-main.cjs with the CLI, the language server and our
// grammars into one CommonJS file; `bun build --compile --bytecode` compiles that into the
// executable, so no JavaScript is parsed at start-up. QDC_KEEP_BIN_WORK=1 keeps that bundle
// (in bin/bin-work/) for profiling.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { assertAscii, bundleOptions } from './build-common.mjs';

const BUN_VERSION = '1.4.5';
// npm's sha512 integrity of each @oven/bun-<target>@BUN_VERSION, checked before it is used
const BUN_INTEGRITY = {
  'linux-x64': 'sha512-IWX9BELoGHAUtMonkeSaNaZwXzRk+oDw6Mk+HBFXd3KHYIBNBsIGRupMZPcgNoDbJpLu6gAJjIoIVPZtt1aJ1g==',
  'linux-x64-baseline': 'sha512-s8yMwYcFnnrA178gji0gZbkE2WVDej/Ti1x770oPfihxyRxSMNhGhiAQNXV53aDeraZxksdvKV/RAdQBCd0qPA==',
  'linux-aarch64': 'sha512-4BXmsSKnjOrlGWqZV4x/oWa7AVoR+B6lCXddMzOAXBIm3t50eslg9wb66gmtW1AamEQ1l1CDvmmruysEhqOWMg==',
};

const outdir = resolve(process.env.QDC_OUTDIR ?? 'dist', 'bin');
const work = join(outdir, 'bin-work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

/** Bun's build for this host: x64 without AVX2 needs the baseline build. */
function bunTarget() {
  if (process.platform !== 'linux') return undefined;
  if (process.arch === 'arm64') return 'linux-aarch64';
  if (process.arch !== 'x64') return undefined;
  let avx2 = true;
  try { avx2 = /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8')); } catch { /* assume a current CPU */ }
  return avx2 ? 'linux-x64' : 'linux-x64-baseline';
}

/** The bun binary the executable is made of: QDC_BUN, or the pinned release, fetched once
 * into node_modules/.cache. */
function runtimeBun() {
  if (process.env.QDC_BUN) return resolve(process.env.QDC_BUN);
  const target = bunTarget();
  const expected = target && BUN_INTEGRITY[target];
  if (!expected) {
    throw new Error(`build:bin: no pinned Bun ${BUN_VERSION} for ${process.platform}-${process.arch}; set QDC_BUN to a bun binary to build with it`);
  }
  const pkg = `@oven/bun-${target}`;
  const dir = resolve('node_modules/.cache/qdc-bin', `bun-${target}-${BUN_VERSION}`);
  const bun = join(dir, 'bin/bun');
  if (existsSync(bun)) return bun;
  process.stderr.write(`build:bin: fetching ${pkg}@${BUN_VERSION} from the npm registry (once)\n`);
  const tmp = `${dir}.${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', `${pkg}@${BUN_VERSION}`, '--json', '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
    const tgz = join(tmp, filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (integrity !== expected) throw new Error(`build:bin: ${pkg}@${BUN_VERSION} has integrity ${integrity}, expected ${expected}`);
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, '--strip-components=1', 'package/bin/bun']);
    chmodSync(join(tmp, 'bin/bun'), 0o755);
    rmSync(tgz);
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bun;
}

// The grammar texts, as a module the entry requires when lint or the server asks for them.
const grammars = {};
for (const f of readdirSync('grammars').sort()) if (f.endsWith('.rng')) grammars[`grammars/${f}`] = readFileSync(join('grammars', f), 'utf8');
writeFileSync(join(work, 'grammars.cjs'), `module.exports = ${JSON.stringify(grammars)};\n`);
const bundle = join(work, 'qdc.cjs');
await build({ ...bundleOptions, entryPoints: ['cli/launcher/standalone-main.cjs'], outfile: bundle, alias: { 'qdc-embedded-grammars': join(work, 'grammars.cjs') } });
assertAscii(bundle);

const bun = runtimeBun();
const bin = join(outdir, 'qdc');
rmSync(bin, { force: true });
// JavaScriptCore's tier-up thresholds start 1000 times higher: a run or one file's lint runs
// most of its code a few times, and compiling it cost more than it saved (QEMU spawned ~6 ms
// sooner, one-file lint ~10 ms faster). Commands with long work ahead set them back
// (expectLongRun in cli/standalone.ts). No .env or bunfig.toml from the working directory:
// qdc's behaviour does not depend on where it runs.
const START_JIT_POLICY = 1000;
const r = spawnSync(bun, ['build', bundle, '--compile', '--bytecode', '--target=bun', '--format=cjs', `--compile-jit-policy=${START_JIT_POLICY}`,
  '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', '--outfile', bin], { encoding: 'utf8' });
if (r.status !== 0) throw new Error(`build:bin: ${bun} build --compile failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
chmodSync(bin, 0o755);
const version = execFileSync(bun, ['--version'], { encoding: 'utf8' }).trim();
if (!process.env.QDC_KEEP_BIN_WORK) rmSync(work, { recursive: true, force: true });
process.stdout.write(`${bin} (bun ${version})\n`);
