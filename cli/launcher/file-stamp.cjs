// The stamp of an installed file (a bundle, the executable): its size and mtime. Caches made
// from it are replaced when it changes.
'use strict';
const fs = require('node:fs');

function fileStamp(file) {
  const st = fs.statSync(file);
  return `${st.size}-${Math.floor(st.mtimeMs)}`;
}

module.exports = { fileStamp };
