#!/usr/bin/env node
// Owns the import rule: src/ is layered and imports run one way, from the top layer down. Reads every
// import, export-from, require() and import() of src/**/*.ts (`import type` included, since a type
// import ties the files' meanings together just as much) and fails with file:line for each one that
// runs back up. Layers and the reasons are in docs/architecture.md. Only Node built-ins: it runs
// before anything is compiled (`npm test`, `npm run lint:deps`).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/**
 * Top to bottom. A module may import its own layer and every layer below it. A name is a folder or a
 * file (without `.ts`) under src/; the longest name that contains a module places it. A module outside
 * every layer is an error, so a new folder must be placed here.
 */
const LAYERS = [
  ['cli', 'index'],
  // Reading finished run folders (compare, curves, the HTML report): above train so that it may use
  // anything a run is made of; nothing but the CLI reads it.
  ['report'],
  ['train'],
  ['spec'],
  ['eval', 'model'],
  // The list of registries sits beside registry.ts but imports every component folder's index, so it
  // is above them: spec, model and the CLI read it; no component does.
  ['registries'],
  ['architectures', 'losses'],
  ['layers', 'metrics', 'weighting', 'optim', 'data', 'plot', 'backend'],
  ['registry'],
  // The TypeScript shape of a resolved spec: declarations only, read by every layer.
  ['util', 'errors', 'tasks', 'spec/types'],
];

/**
 * Imports that run back up today and are being moved by work in progress, as
 * `importing/file.ts -> imported/file.ts` (paths under src/). Each is reported as allowed; an entry that
 * matches nothing is reported as stale so it can be deleted. Keep this list empty when you can.
 */
const ALLOWED = [];

/** The code of a TypeScript file with comments blanked out (newlines kept, so line numbers hold). */
function stripComments(text) {
  let out = '';
  let i = 0;
  let lastCode = ''; // last non-space code character, to tell a regex literal from a division
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const d = text[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && text[i] !== '\n') { out += ' '; i++; }
    } else if (c === '/' && d === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      const start = i++;
      while (i < n && text[i] !== c) {
        if (text[i] === '\\') i++;
        i++;
      }
      i++;
      out += text.slice(start, i);
      lastCode = c;
    } else if (c === '/' && (lastCode === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastCode))) {
      // A regex literal: copy it whole so a quote inside it does not open a string.
      const start = i++;
      let inClass = false;
      while (i < n && text[i] !== '\n' && (inClass || text[i] !== '/')) {
        if (text[i] === '\\') i++;
        else if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
        i++;
      }
      i++;
      out += text.slice(start, i);
      lastCode = '/';
    } else {
      out += c;
      if (!/\s/.test(c)) lastCode = c;
      i++;
    }
  }
  return out;
}

const IMPORT_PATTERNS = [
  // import x from '…'; import type {…} from '…'; export {…} from '…'; export * from '…' (may span lines)
  /(?:^|[;}\n])[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1/g,
  // import '…' (side effects only)
  /(?:^|[;}\n])[ \t]*import\s*(['"])([^'"]+)\1/g,
  // require('…'), import('…'), import x = require('…')
  /\b(?:require|import)\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
];

/** Every module specifier in `text` with the 1-based line it is on. */
function importsOf(text) {
  const code = stripComments(text);
  const found = new Map();
  for (const re of IMPORT_PATTERNS) {
    for (const m of code.matchAll(re)) {
      const at = m.index + m[0].lastIndexOf(m[1] + m[2]);
      if (!found.has(at)) found.set(at, { spec: m[2], line: code.slice(0, at).split('\n').length });
    }
  }
  return [...found.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** The index in LAYERS of the module `rel` (a path under src/), or -1. */
function layerIndex(rel) {
  const mod = rel.replace(/\.ts$/, '');
  let best = -1;
  let bestLength = 0;
  LAYERS.forEach((names, i) => {
    for (const name of names) {
      if ((mod === name || mod.startsWith(`${name}/`)) && name.length > bestLength) {
        best = i;
        bestLength = name.length;
      }
    }
  });
  return best;
}

function tsFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

/** The module under srcRoot that a relative specifier names (`x` → x.ts or x/index.ts), or null. */
function resolve(srcRoot, fromFile, spec) {
  const abs = path.resolve(path.dirname(fromFile), spec);
  const rel = path.relative(srcRoot, abs).split(path.sep).join('/');
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  for (const cand of [rel, `${rel}.ts`, `${rel}/index.ts`]) if (fs.existsSync(path.join(srcRoot, cand)) && fs.statSync(path.join(srcRoot, cand)).isFile()) return cand;
  return rel.endsWith('.ts') ? rel : `${rel}.ts`;
}

/**
 * Checks every .ts file under srcRoot. Returns `problems` (imports that run back up, modules outside
 * every layer), `allowed` (back-up imports named in `allowList`) and `stale` (allow-list entries that
 * matched nothing); each problem names file:line relative to `base`.
 */
function check(srcRoot, allowList = ALLOWED, base = process.cwd()) {
  const problems = [];
  const allowed = [];
  const used = new Set();
  for (const file of tsFiles(srcRoot)) {
    const rel = path.relative(srcRoot, file).split(path.sep).join('/');
    const shown = path.relative(base, file).split(path.sep).join('/');
    const from = layerIndex(rel);
    if (from < 0) {
      problems.push(`${shown}:1 ${rel.split('/')[0]} is in no layer: add it to LAYERS in scripts/lint-deps.js`);
      continue;
    }
    for (const { spec, line } of importsOf(fs.readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue; // packages and Node built-ins
      const target = resolve(srcRoot, file, spec);
      if (target === null) continue; // outside src/ (package.json, …)
      const to = layerIndex(target);
      if (to < 0 || to >= from) continue; // same layer or below; unknown targets are reported as files
      const edge = `${rel} -> ${target}`;
      const msg = `${shown}:${line} imports '${spec}': ${target} is in layer ${to + 1} (${LAYERS[to].join(', ')}), above ${rel}'s layer ${from + 1} (${LAYERS[from].join(', ')})`;
      if (allowList.includes(edge)) {
        used.add(edge);
        allowed.push(msg);
      } else problems.push(msg);
    }
  }
  return { problems, allowed, stale: allowList.filter((e) => !used.has(e)) };
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const { problems, allowed, stale } = check(path.join(root, 'src'), ALLOWED, root);
  for (const a of allowed) process.stderr.write(`allowed for now (scripts/lint-deps.js ALLOWED): ${a}\n`);
  for (const s of stale) process.stderr.write(`lint-deps: allow-list entry "${s}" matches no import any more: delete it from ALLOWED\n`);
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length) {
    process.stderr.write(`lint-deps: ${problems.length} problem(s). Imports run one way, layer 1 to ${LAYERS.length}: ${LAYERS.map((l) => l.join(', ')).join(' → ')} (docs/architecture.md)\n`);
    process.exit(1);
  }
  process.stdout.write(`lint-deps: imports run one way (${allowed.length} allowed for now)\n`);
}

module.exports = { LAYERS, ALLOWED, check, importsOf, stripComments };
