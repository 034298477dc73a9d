// CommonJS's module wrapper (what Module.wrap gives). The CLI bundle is written already
// wrapped in it (build-common.mjs), so the launcher compiles the bundle's text as it was read:
// wrapping it at run time made V8 flatten a copy of the whole bundle first (~90 pages).
'use strict';
module.exports = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];
