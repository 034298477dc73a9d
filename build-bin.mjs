// `npm run build:bin`: one self-contained `qdc` executable (a Node single executable
// application). Output: $QDC_OUTDIR/bin/qdc (default dist/bin/qdc).
//
// The executable's runtime is a pinned Node LTS from the npm registry (the node-<os>-<cpu>
// packages hold the official binaries), not whichever node runs this build: Node 20 loads
// NODE_EXTRA_CA_CERTS' certificates at every start (+43 ms here, for a tool that makes no TLS
// connection), Node 26 only when TLS is used; and its V8 warms up faster. QDC_SEA_NODE=PATH
// builds on another node binary instead (>= 20).
//
// Inside: a small launcher (cli/launcher/sea-main.cjs) and, as assets, the CLI bundle, the
// language server bundle and our grammars. The launcher runs the CLI through V8's code cache
// like dist/qdc.js does.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { assertAscii, bundleOptions, cachedBundleOptions, launcherOptions } from './build-common.mjs';

const NODE_VERSION = '26.10.0';
// npm's sha512 integrity of node-<os>-<cpu>@NODE_VERSION, checked before the binary is used
const NODE_INTEGRITY = {
  'linux-x64': 'sha512-OmAztarr1gK4PD+sNyoku4N5Q40d8eqMuLjNa/zRvxF33aCsVKVIQLs4V5HYPWSWWlMiTdkmbZE/6Phigma0hw==',
};

const outdir = resolve(process.env.QDC_OUTDIR ?? 'dist', 'bin');
const work = join(outdir, 'sea-work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

/** The node binary the executable is made of: QDC_SEA_NODE, or the pinned release, fetched
 * once into node_modules/.cache. */
function runtimeNode() {
  if (process.env.QDC_SEA_NODE) return resolve(process.env.QDC_SEA_NODE);
  const platform = `${process.platform}-${process.arch}`;
  const pkg = `node-${platform}`;
  const dir = resolve('node_modules/.cache/qdc-sea', `${pkg}-${NODE_VERSION}`);
  const node = join(dir, 'bin/node');
  if (existsSync(node)) return node;
  const expected = NODE_INTEGRITY[platform];
  if (!expected) {
    throw new Error(`build:bin: no pinned Node ${NODE_VERSION} for ${platform}; set QDC_SEA_NODE to a node binary (>= 20) to build on it`);
  }
  process.stderr.write(`build:bin: fetching ${pkg}@${NODE_VERSION} from the npm registry (once)\n`);
  const tmp = `${dir}.${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', `${pkg}@${NODE_VERSION}`, '--json', '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
    const tgz = join(tmp, filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (integrity !== expected) throw new Error(`build:bin: ${pkg}@${NODE_VERSION} has integrity ${integrity}, expected ${expected}`);
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, '--strip-components=1', 'package/bin/node']);
    rmSync(tgz);
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return node;
}

// SEA runs CommonJS with only built-in modules available: everything is bundled.
const main = join(work, 'sea-main.cjs');
await build({ ...launcherOptions, entryPoints: ['cli/launcher/sea-main.cjs'], outfile: main });
await build({ ...cachedBundleOptions, entryPoints: ['cli/main.ts'], outfile: join(work, 'qdc-main.js') });
await build({ ...bundleOptions, entryPoints: ['server/src/main.ts'], outfile: join(work, 'server.js') });
for (const f of ['qdc-main.js', 'server.js']) assertAscii(join(work, f));
const assets = { 'qdc-main.js': join(work, 'qdc-main.js'), 'server.js': join(work, 'server.js') };
for (const f of readdirSync('grammars')) if (f.endsWith('.rng')) assets[`grammars/${f}`] = resolve('grammars', f);
writeFileSync(join(work, 'assets.json'), JSON.stringify(Object.keys(assets)));
assets['assets.json'] = join(work, 'assets.json');

// The executable is the runtime without its debugging symbols: a third smaller, and it
// starts 1.5-3 ms sooner (fewer pages to map). Without binutils' strip it is used as is.
const node = join(work, 'node');
copyFileSync(runtimeNode(), node);
chmodSync(node, 0o755);
if (spawnSync('strip', [node], { stdio: 'ignore' }).status !== 0) process.stderr.write('build:bin: strip failed or is missing; the runtime keeps its symbols\n');
const bin = join(outdir, 'qdc');
rmSync(bin, { force: true });
const config = join(work, 'sea-config.json');
// No V8 code-generation flag here (lint sets --no-opt itself; run-cached.cjs says why): such a
// flag would invalidate the code cache of node's own modules for every command.
const execArgv = ['--min-semi-space-size=4', '--max-semi-space-size=4'];
const seaConfig = { main, disableExperimentalSEAWarning: true, useCodeCache: false, assets, execArgv };
const nodeHelp = execFileSync(node, ['--help'], { encoding: 'utf8' });
if (nodeHelp.includes('--build-sea')) {
  // Node >= 25.5 writes the executable itself
  writeFileSync(config, JSON.stringify({ ...seaConfig, output: bin }));
  const r = spawnSync(node, ['--build-sea', config], { encoding: 'utf8' });
  // its ELF writer warns about every unnamed note section of the official binary: noise
  const err = r.stderr.split('\n').filter((l) => l && !l.startsWith("warning: Can't find string offset for section name")).join('\n');
  if (err) process.stderr.write(`${err}\n`);
  if (r.status !== 0) throw new Error(`build:bin: ${node} --build-sea failed (exit ${r.status})`);
} else {
  const blob = join(work, 'qdc.blob');
  writeFileSync(config, JSON.stringify({ ...seaConfig, output: blob }));
  execFileSync(node, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  copyFileSync(node, bin);
  execFileSync(process.execPath, [resolve('node_modules/postject/dist/cli.js'), bin, 'NODE_SEA_BLOB', blob,
    '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
chmodSync(bin, 0o755);
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${bin} (node ${version})\n`);
