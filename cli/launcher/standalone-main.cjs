// The standalone executable's entry (npm run build:bin, a Bun-compiled executable): esbuild
// bundles this file with the CLI, the language server and our grammars into one CommonJS
// file, and Bun compiles that to bytecode inside its runtime. What the CLI asks of the
// executable is cli/standalone.ts; the server and the grammar texts are evaluated only by
// the commands that use them.
'use strict';
const { fileStamp } = require('./file-stamp.cjs');

let grammars;
globalThis.qdcStandalone = {
  // the grammars are written out once per executable build (cli/standalone.ts)
  stamp: fileStamp(process.execPath),
  load(name) {
    if (name === 'server.js') return require('../../server/src/main.ts');
    throw new Error(`the executable holds no bundle '${name}'`);
  },
  // qdc-embedded-grammars is made by build-bin.mjs: { 'grammars/<file>.rng': text }
  assetNames: () => Object.keys(grammars ??= require('qdc-embedded-grammars')),
  asset: (name) => (grammars ??= require('qdc-embedded-grammars'))[name],
  // build-bin.mjs bakes in raised thresholds (--compile-jit-policy); 1 is JavaScriptCore's normal
  longRun: () => Bun.unsafe.setJITPolicy(1),
};
require('../main.ts');
