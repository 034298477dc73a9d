// esbuild settings the two builds (build.mjs, build-bin.mjs) share, and the check the
// launchers rely on: they decode the CLI bundles as Latin-1, so the bundles must be ASCII.
import { readFileSync } from 'node:fs';
import MODULE_WRAPPER from './cli/launcher/module-wrapper.cjs';

// charset ascii (esbuild's default, stated). QDC_NO_MINIFY keeps names for profiling;
// whitespace and comments (which may hold UTF-8) still go.
export const bundleOptions = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: false, logLevel: 'warning', legalComments: 'none', charset: 'ascii',
  ...(process.env.QDC_NO_MINIFY ? { minifyWhitespace: true } : { minify: true }),
};

/** The bundles the launchers run through V8's code cache (run-cached.cjs): written inside
 *  CommonJS's module wrapper. */
export const cachedBundleOptions = { ...bundleOptions, banner: { js: MODULE_WRAPPER[0] }, footer: { js: MODULE_WRAPPER[1] } };

/** Launchers are small and read in stack traces: not minified. */
export const launcherOptions = { ...bundleOptions, minify: false, minifyWhitespace: false };

export function assertAscii(file) {
  if (/[^\x00-\x7f]/.test(readFileSync(file, 'latin1'))) throw new Error(`build: ${file} is not ASCII`);
}
