// `npm run build:bin`: one self-contained `qdc` executable (a Node single executable
// application): the CLI bundled into one CommonJS script, snapshotted into a blob with V8's
// code cache (faster start), and injected into a copy of the running node binary with postject.
// Output: $QDC_OUTDIR/bin/qdc (default dist/bin/qdc).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const outdir = resolve(process.env.QDC_OUTDIR ?? 'dist', 'bin');
const work = join(outdir, 'sea-work');
mkdirSync(work, { recursive: true });
const script = join(work, 'qdc.cjs');

// SEA runs one CommonJS file with only built-in modules available: bundle everything.
await build({
  entryPoints: ['cli/main.ts'], outfile: script, bundle: true, platform: 'node', target: 'node20', format: 'cjs',
  minify: true, legalComments: 'none', logLevel: 'warning',
  // import.meta.url has no meaning in a CommonJS bundle; point it at the executable.
  define: { 'import.meta.url': 'qdcSeaUrl' },
  banner: { js: 'const qdcSeaUrl = require("node:url").pathToFileURL(process.execPath).href;' },
});

const blob = join(work, 'qdc.blob');
writeFileSync(join(work, 'sea-config.json'), JSON.stringify({
  main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true,
}));
execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'inherit' });

const bin = join(outdir, 'qdc');
rmSync(bin, { force: true });
copyFileSync(process.execPath, bin);
chmodSync(bin, 0o755);
execFileSync(process.execPath, [resolve('node_modules/postject/dist/cli.js'), bin, 'NODE_SEA_BLOB', blob,
  '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: ['ignore', 'ignore', 'inherit'] });
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${bin}\n`);
