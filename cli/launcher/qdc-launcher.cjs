#!/usr/bin/env node
// qdc's entry (dist/qdc.js): runs the CLI bundle next to it (qdc-main.js) through V8's code
// cache (run-cached.cjs). Bundled by build.mjs into one small file.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { runCached } = require('./run-cached.cjs');
const { fileStamp } = require('./file-stamp.cjs');

const file = path.join(__dirname, 'qdc-main.js');
let stamp = 'none';
try { stamp = fileStamp(file); } catch { /* reading it below reports the problem */ }
// the bundle is ASCII (build.mjs): Latin-1 decoding skips UTF-8 validation
runCached({ filename: file, source: fs.readFileSync(file, 'latin1'), origin: file, stamp, dirname: __dirname });
