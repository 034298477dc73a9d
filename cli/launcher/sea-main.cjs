// The standalone executable's entry (npm run build:bin): the CLI bundle and what it loads
// at run time (the language server, our grammars) are assets inside the executable. The CLI
// runs through V8's code cache like dist/qdc.js, keyed by the executable's size and mtime.
'use strict';
const path = require('node:path');
const sea = require('node:sea');
const { runCached, fileStamp } = require('./run-cached.cjs');

const exe = process.execPath;
// The bundles are ASCII (build-bin.mjs checks): decoding them as Latin-1 skips UTF-8
// validation, and the raw asset is not copied first.
const ascii = (name) => Buffer.from(sea.getRawAsset(name)).toString('latin1');
const stamp = fileStamp(exe);
// what the CLI asks of the executable (cli/standalone.ts)
globalThis.qdcStandalone = {
  stamp,
  /** runs an embedded bundle (e.g. 'server.js') and returns its exports */
  load: (name, command) => runCached({ filename: path.join(path.dirname(exe), name), source: ascii(name), origin: `${exe}:${name}`, stamp, dirname: path.dirname(exe), command }),
  // the names are an asset too: sea.getAssetKeys() is younger than Node 20
  assetNames: () => JSON.parse(ascii('assets.json')),
  asset: (name) => sea.getAsset(name, 'utf8'),
};
globalThis.qdcStandalone.load('qdc-main.js');
