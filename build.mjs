// Bundles the qdc CLI (and, when present, the language server and extension) with esbuild.
import { build } from 'esbuild';
import { existsSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

// QDC_OUTDIR lets parallel work build private copies without touching dist/.
const outdir = process.env.QDC_OUTDIR ?? 'dist';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: false, logLevel: 'warning', legalComments: 'none' };

await build({
  ...common,
  entryPoints: { qdc: 'cli/main.ts' },
  outdir,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  banner: { js: '#!/usr/bin/env node\nimport { createRequire as __qdcCreateRequire } from "node:module"; const require = __qdcCreateRequire(import.meta.url);' },
});
chmodSync(join(outdir, 'qdc.js'), 0o755);

if (existsSync('extension/src/extension.ts')) {
  await build({ ...common, entryPoints: ['extension/src/extension.ts'], outfile: 'extension/dist/extension.js', format: 'cjs', external: ['vscode'] });
}
