// Runs a CommonJS bundle through V8's code cache. Compiling the bundle is a large part of a
// short command's start-up; the cache (in $QDC_CACHE_DIR, else $XDG_CACHE_HOME/qdc, keyed by
// node version and what the bundle came from) skips it on every later run. There is one cache
// per command: a cache holds the functions its first run compiled, and `run` uses other
// functions than `lint`. Used by dist/qdc.js, for the CLI bundle and the language server's.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

// bundled in by esbuild: the same key as the other caches use, not node:crypto
const { cacheKey } = require('../../runtime/cache-key.ts');
const WRAPPER = require('./module-wrapper.cjs');

/**
 * @param {{ filename: string, source: string, origin: string, stamp: string, dirname: string }} b
 *   filename: the bundle's name in stack traces; origin: where it was installed (one cache
 *   entry per origin, replaced when `stamp` changes); dirname: the bundle's __dirname.
 * @returns {unknown} the bundle's module.exports
 */
function runCached(b) {
  let cacheFile;
  let cachedData;
  const arg = process.argv[2] ?? '';
  const command = /^[a-z][a-z-]{0,15}$/.test(arg) ? arg : 'other';
  // A lint is over in well under a second and does better without V8's top tier (TurboFan)
  // where V8 has a middle one (Maglev, V8 12 on: Node 22 on): on a 2-core machine TurboFan's
  // compiles cost more than its code saves before the process exits (bench/lint on Node 26,
  // 935 documents: 7% faster without it; 3,740: 3% slower). Only lint: any V8 code-generation
  // flag also invalidates the code cache node keeps for its own modules, so every built-in
  // module loaded afterwards is compiled from source (node:net, node:child_process and the
  // stream modules that `run` needs: ~9 ms with --no-opt, ~4 ms without). Without Maglev
  // (Node 20) TurboFan stays. Set before the bundle is compiled, so that the code cache is
  // made and checked under the same flags.
  const noTurbofan = command === 'lint' && Number.parseInt(process.versions.v8, 10) >= 12;
  if (noTurbofan !== process.execArgv.includes('--no-opt')) require('node:v8').setFlagsFromString(noTurbofan ? '--no-opt' : '--opt');
  if (!process.env.QDC_NO_CODE_CACHE) {
    try {
      const home = process.env.XDG_CACHE_HOME || path.join(process.env.HOME || require('node:os').homedir(), '.cache');
      cacheFile = path.join(process.env.QDC_CACHE_DIR || path.join(home, 'qdc'), `code-${cacheKey(b.origin).slice(0, 8)}-${command}-${process.version}-${b.stamp}.bin`);
      cachedData = fs.readFileSync(cacheFile);
    } catch { /* no cache yet */ }
  }
  // the CLI bundle comes wrapped (build-common.mjs); the server bundle is also run by VS Code
  const code = b.source.startsWith(WRAPPER[0]) ? b.source : WRAPPER[0] + b.source + WRAPPER[1];
  const script = new vm.Script(code, { filename: b.filename, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    // written once the command ran, so the functions it compiled lazily are in the cache too;
    // not after a usage error (exit 2) or a crash, which ran little of the command
    process.once('exit', (code) => {
      if (code !== 0 && code !== 1) return;
      try {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
        const dir = path.dirname(cacheFile);
        // older caches of this bundle and command (other versions, other node)
        const prefix = path.basename(cacheFile).split('-').slice(0, 3).join('-') + '-';
        for (const f of fs.readdirSync(dir)) {
          if (f.startsWith(prefix) && f !== path.basename(cacheFile)) fs.rmSync(path.join(dir, f), { force: true });
        }
      } catch { /* a cache that cannot be written only costs time */ }
    });
  }
  // The bundles require node's built-in modules only (everything else is bundled in), which
  // this file's own require loads; node:module is not loaded for them.
  const mod = { exports: {}, filename: b.filename, id: b.filename, loaded: false };
  script.runInThisContext().call(mod.exports, mod.exports, (id) => require(id), mod, b.filename, b.dirname);
  mod.loaded = true;
  return mod.exports;
}

module.exports = { runCached };
