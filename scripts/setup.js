#!/usr/bin/env node
// Makes a fresh clone ready without a separate install step: installs npm dependencies when any is
// missing (npm ci from the lock file), then compiles TypeScript to dist/ (first removing what a moved
// or deleted source left there). Used by `npm test`, `npm run quickstart` and `npm run bench`. Only
// Node built-ins here: nothing is installed yet.
'use strict';
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

const run = (cmd) => {
  process.stderr.write(`> ${cmd}\n`);
  execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
};

/**
 * tsc never deletes: the output of a moved or deleted .ts file would stay in dist/ and, as x.js beside a
 * new x/index.js, be what require('./x') loads. Removes the compiled files under `dir` (inside
 * `base`/dist) whose source `base`/….ts is gone, and the folders that leaves empty.
 */
function removeOrphans(dir, base = root) {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      removeOrphans(p, base);
      if (!fs.readdirSync(p).length) fs.rmdirSync(p);
      continue;
    }
    const m = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/.exec(path.relative(path.join(base, 'dist'), p));
    if (m && !fs.existsSync(path.join(base, `${m[1]}.ts`))) fs.unlinkSync(p);
  }
}

if (require.main === module) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const needed = [...Object.keys(pkg.dependencies || {}), ...Object.keys(pkg.devDependencies || {})];
  const missing = needed.filter((name) => !fs.existsSync(path.join(root, 'node_modules', name, 'package.json')));
  if (missing.length) {
    process.stderr.write(`setup: missing ${missing.join(', ')}; installing\n`);
    run(fs.existsSync(path.join(root, 'package-lock.json')) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund');
  }
  for (const d of ['src', 'test', 'bench']) removeOrphans(path.join(root, 'dist', d));
  run('npx --no-install tsc -p tsconfig.json');
}

module.exports = { removeOrphans };
