#!/usr/bin/env node
// Makes a fresh clone ready without a separate install step: installs npm dependencies when any is
// missing (npm ci from the lock file), then compiles TypeScript to dist/. Used by `npm test`,
// `npm run quickstart` and `npm run bench`. Only Node built-ins here: nothing is installed yet.
'use strict';
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const needed = [...Object.keys(pkg.dependencies || {}), ...Object.keys(pkg.devDependencies || {})];
const missing = needed.filter((name) => !fs.existsSync(path.join(root, 'node_modules', name, 'package.json')));

const run = (cmd) => {
  process.stderr.write(`> ${cmd}\n`);
  execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
};

if (missing.length) {
  process.stderr.write(`setup: missing ${missing.join(', ')}; installing\n`);
  run(fs.existsSync(path.join(root, 'package-lock.json')) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund');
}
run('npx --no-install tsc -p tsconfig.json');
