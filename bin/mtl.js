#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm run build writes dist/).
'use strict';
let main;
try {
  ({ main } = require('../dist/src/cli/main.js'));
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('mtl is not built yet: run `npm run build` (or `npm install`, which builds it).\n');
    process.exit(1);
  }
  throw e;
}
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
