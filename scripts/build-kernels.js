#!/usr/bin/env node
// Builds mtl's own WASM SIMD kernels (src/backend/simd/*.c) into src/backend/simd/kernels.wasm (for
// tfjs-backend-wasm's plain build) and kernels-shared.wasm (its threaded build, whose memory is shared),
// and records the sources' hash in kernels.json. The .wasm files are committed, so users and CI need
// no compiler; a test fails when the sources changed without a rebuild. Needs Debian's clang and lld
// (`apt-get install clang lld clang-19 lld-19`): `npm run build:kernels`. The relaxed-SIMD variants
// (kernels-relaxed*.wasm: MAD in lanes.h as a fused multiply-add) need clang ≥ 16 for the final
// relaxed-SIMD opcodes; the plain ones are built by Debian's default clang 14 as before.
//
// The modules import tfjs-backend-wasm's memory and work on tensors where they lie, so they must own
// none of it: every object file is checked to define only functions and to reference nothing
// (no __stack_pointer — the C stack would live at tfjs's addresses —, no memset/memcpy, no data).
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dir = path.resolve(__dirname, '..', 'src', 'backend', 'simd');
const CFLAGS = ['--target=wasm32', '-O3', '-msimd128', '-fno-builtin', '-Wall', '-Werror'];
const SHARED = ['-matomics', '-mbulk-memory', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296'];
// clang 19 turns reference types on by default, which makes every object import a function table.
const RELAXED = ['-mrelaxed-simd', '-mno-reference-types', '-DMTL_RELAXED'];
const VARIANTS = {
  'kernels.wasm': [],
  'kernels-shared.wasm': SHARED,
  'kernels-relaxed.wasm': RELAXED,
  'kernels-shared-relaxed.wasm': [...SHARED, ...RELAXED],
};

/** The compiler for a variant: clang 19 for relaxed SIMD (clang 14 knows only draft opcodes). */
function compiler(extra) {
  return extra.includes('-mrelaxed-simd') ? 'clang-19' : 'clang';
}

/** The hash the built modules stand for: every source file's name and text, and the flags. */
function sourcesHash() {
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify({ CFLAGS, VARIANTS }));
  for (const f of sources()) h.update(`${path.basename(f)}\0${fs.readFileSync(f, 'utf8')}\0`);
  return h.digest('hex');
}

function sources() {
  return fs.readdirSync(dir).filter((f) => /\.(c|h)$/.test(f)).sort().map((f) => path.join(dir, f));
}

/** Fails unless the object file defines only functions and needs nothing from outside. */
function checkObject(obj, source) {
  const nm = execFileSync('llvm-nm', [obj], { encoding: 'utf8' });
  const bad = nm.split('\n').filter((l) => l.trim() && !/^[0-9a-f]+ [Tt] /.test(l));
  if (bad.length) throw new Error(`${path.basename(source)} uses memory of its own or outside code:\n${bad.join('\n')}`);
}

function build() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-kernels-'));
  const cFiles = sources().filter((f) => f.endsWith('.c'));
  for (const [out, extra] of Object.entries(VARIANTS)) {
    const objs = cFiles.map((f) => {
      const o = path.join(tmp, `${path.basename(f, '.c')}-${out}.o`);
      execFileSync(compiler(extra), [...CFLAGS, ...extra.filter((x) => !x.startsWith('-Wl')), '-c', '-o', o, f], { stdio: 'inherit' });
      checkObject(o, f);
      return o;
    });
    const link = ['--target=wasm32', '-nostdlib', '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--strip-all', ...extra];
    execFileSync(compiler(extra), [...link, '-o', path.join(dir, out), ...objs], { stdio: 'inherit' });
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, 'kernels.json'), `${JSON.stringify({ sources: sourcesHash() }, null, 2)}\n`);
  process.stderr.write(`build-kernels: ${Object.keys(VARIANTS).join(', ')} from ${cFiles.length} source(s)\n`);
}

if (require.main === module) build();

module.exports = { sourcesHash };
