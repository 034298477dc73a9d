// Bundles the qdc CLI (one CommonJS file: the fastest start-up for a short-lived process),
// the compiler library for benchmarks, and, when present, the language server and extension.
import { build } from 'esbuild';
import { existsSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// QDC_OUTDIR lets parallel work build private copies without touching dist/.
const outdir = process.env.QDC_OUTDIR ?? 'dist';
// charset ascii (esbuild's default, stated): the launchers decode the bundles as Latin-1.
// QDC_NO_MINIFY keeps names for profiling; whitespace and comments (which may hold UTF-8)
// still go.
const minify = process.env.QDC_NO_MINIFY ? { minifyWhitespace: true } : { minify: true };
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: false, logLevel: 'warning', legalComments: 'none', charset: 'ascii', ...minify };

mkdirSync(outdir, { recursive: true });
// dist/ holds CommonJS bundles although the package itself is an ES module package
writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
await build({ ...common, entryPoints: ['cli/main.ts'], outfile: join(outdir, 'qdc-main.js'), format: 'cjs' });
if (/[^\x00-\x7f]/.test(readFileSync(join(outdir, 'qdc-main.js'), 'latin1'))) throw new Error('build: qdc-main.js is not ASCII');
// dist/qdc.js is a small launcher that runs qdc-main.js through V8's code cache
await build({ ...common, minify: false, minifyWhitespace: false, entryPoints: ['cli/launcher/qdc-launcher.cjs'], outfile: join(outdir, 'qdc.js'), format: 'cjs' });
chmodSync(join(outdir, 'qdc.js'), 0o755);
await build({ ...common, entryPoints: ['compiler/src/index.ts'], outfile: join(outdir, 'compiler.js'), format: 'cjs' });
// the language server is its own bundle, loaded by `qdc lsp` only, so other commands start lean
await build({ ...common, entryPoints: ['server/src/main.ts'], outfile: join(outdir, 'server.js'), format: 'cjs' });

if (existsSync('extension/src/extension.ts')) {
  await build({ ...common, entryPoints: ['extension/src/extension.ts'], outfile: join(outdir === 'dist' ? 'extension/dist' : join(outdir, 'extension'), 'extension.cjs'), format: 'cjs', external: ['vscode'] });
}
