// Bundles the qdc CLI (one CommonJS file: the fastest start-up for a short-lived process),
// the compiler library for benchmarks, and, when present, the language server and extension.
import { build } from 'esbuild';
import { existsSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { assertAscii, bundleOptions, cachedBundleOptions, launcherOptions } from './build-common.mjs';
import { join } from 'node:path';

// QDC_OUTDIR lets parallel work build private copies without touching dist/.
const outdir = process.env.QDC_OUTDIR ?? 'dist';

mkdirSync(outdir, { recursive: true });
// dist/ holds CommonJS bundles although the package itself is an ES module package
writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
await build({ ...cachedBundleOptions, entryPoints: ['cli/main.ts'], outfile: join(outdir, 'qdc-main.js') });
assertAscii(join(outdir, 'qdc-main.js'));
// dist/qdc.js is a small launcher that runs qdc-main.js through V8's code cache
await build({ ...launcherOptions, entryPoints: ['cli/launcher/qdc-launcher.cjs'], outfile: join(outdir, 'qdc.js') });
chmodSync(join(outdir, 'qdc.js'), 0o755);
await build({ ...bundleOptions, entryPoints: ['compiler/src/index.ts'], outfile: join(outdir, 'compiler.js'), format: 'cjs' });
// the language server is its own bundle, loaded by `qdc lsp` only, so other commands start lean
await build({ ...bundleOptions, entryPoints: ['server/src/main.ts'], outfile: join(outdir, 'server.js'), format: 'cjs' });

if (existsSync('extension/src/extension.ts')) {
  await build({ ...bundleOptions, entryPoints: ['extension/src/extension.ts'], outfile: join(outdir === 'dist' ? 'extension/dist' : join(outdir, 'extension'), 'extension.cjs'), format: 'cjs', external: ['vscode'] });
}
