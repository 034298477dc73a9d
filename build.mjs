// Bundles the qdc CLI (and, when present, the language server and extension) with esbuild.
import { build } from 'esbuild';
import { existsSync, chmodSync } from 'node:fs';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: false, logLevel: 'warning', legalComments: 'none' };

await build({
  ...common,
  entryPoints: { qdc: 'cli/main.ts' },
  outdir: 'dist',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  banner: { js: '#!/usr/bin/env node\nimport { createRequire as __qdcCreateRequire } from "node:module"; const require = __qdcCreateRequire(import.meta.url);' },
});
chmodSync('dist/qdc.js', 0o755);

if (existsSync('extension/src/extension.ts')) {
  await build({ ...common, entryPoints: ['extension/src/extension.ts'], outfile: 'extension/dist/extension.js', format: 'cjs', external: ['vscode'] });
}
