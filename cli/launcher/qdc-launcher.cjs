#!/usr/bin/env node
// qdc's entry: runs the CLI bundle (qdc-main.js) through V8's code cache. Compiling the
// bundle is a large part of a short command's start-up; the cache (in $XDG_CACHE_HOME/qdc,
// keyed by node version and the bundle's size and mtime) skips it on every later run. There
// is one cache per command: a cache holds the functions its first run compiled, and `run`
// uses other functions than `lint`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const file = path.join(__dirname, 'qdc-main.js');
const source = fs.readFileSync(file, 'utf8');
let cacheFile;
let cachedData;
if (!process.env.QDC_NO_CODE_CACHE) {
  try {
    const st = fs.statSync(file);
    const home = process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache');
    // one cache entry per installed bundle (its path), replaced when the bundle changes
    // FNV-1a of the path: loading node:crypto here would cost more than the cache saves
    let h = 0x811c9dc5;
    for (let i = 0; i < file.length; i++) h = Math.imul(h ^ file.charCodeAt(i), 0x01000193) >>> 0;
    const owner = h.toString(16).padStart(8, '0');
    const command = /^[a-z][a-z-]{0,15}$/.test(process.argv[2] || '') ? process.argv[2] : 'other';
    cacheFile = path.join(process.env.QDC_CACHE_DIR || path.join(home, 'qdc'), `code-${owner}-${command}-${process.version}-${st.size}-${Math.floor(st.mtimeMs)}.bin`);
    cachedData = fs.readFileSync(cacheFile);
  } catch { /* no cache yet */ }
}
const script = new vm.Script(Module.wrap(source), { filename: file, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
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
const mod = new Module(file, module);
mod.filename = file;
mod.paths = Module._nodeModulePaths(__dirname);
script.runInThisContext().call(mod.exports, mod.exports, (id) => mod.require(id), mod, file, __dirname);
