// Tests that the CLI entry loads TensorFlow.js only for commands that need it: `mtl --help` (and
// usage errors) must not pay for loading tfjs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { it } from 'node:test';

const main = path.join(__dirname, '../../src/cli/main.js');

/** Modules under node_modules/@tensorflow that are loaded after running the CLI with `args`. */
function tfjsModulesAfter(args: string[]): { status: number | null; modules: number } {
  const script = `const { main } = require(${JSON.stringify(main)});
    main(${JSON.stringify(args)}, { out() {}, err() {}, isTTY: false }).then((code) => {
      const n = Object.keys(require.cache).filter((m) => m.includes(${JSON.stringify(`${path.sep}@tensorflow${path.sep}`)})).length;
      process.stdout.write(JSON.stringify({ code, n }));
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { code, n } = JSON.parse(r.stdout) as { code: number; n: number };
  return { status: code, modules: n };
}

it('mtl --help and a usage error load no TensorFlow.js module; a command that runs does', () => {
  assert.deepEqual(tfjsModulesAfter(['--help']), { status: 0, modules: 0 });
  assert.deepEqual(tfjsModulesAfter(['train']), { status: 2, modules: 0 }); // missing SPEC
  const listed = tfjsModulesAfter(['list', 'weighting']);
  assert.equal(listed.status, 0);
  assert.ok(listed.modules > 0, 'list loads tfjs (its registries hold tfjs layers)');
});
