// A real Ctrl-C (SIGINT to a spawned `mtl train`) inside an epoch: exit 130, checkpoints/last is a
// mid-epoch checkpoint of that epoch, and `mtl train --resume` ends bit-identical to an uninterrupted
// run of the same seed (records, metrics.jsonl, every checkpoint's weight and optimizer bytes, test
// metrics) — dropout, Adam and uw, on the WASM backend as users train.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runOutcome } from '../helpers/run-outcome';
import { resumeSpecFile, TIMING } from '../helpers/tiny';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin/mtl.js');
// 64 examples, a quarter for validation: 48 in batches of 4 = 12 steps an epoch.
const { tmp, spec: SPEC } = resumeSpecFile('sigint', 64, 'weighting: {method: uw, diagnostics: {every: 5}}\ntrain: {epochs: 3, batchSize: 4, validation: 0.25, optimizer: {type: adam, learningRate: 0.01}}\ncheckpoint: {perTask: true}\n');
const mtl = (args: string[]) => spawnSync(process.execPath, [bin, ...args, '--backend', 'wasm', '--no-progress'], { cwd: root, encoding: 'utf8', timeout: 180_000 });

/** `mtl train SPEC --out run`, SIGINT as soon as epoch 1's line is printed (so during epoch 2). */
function ctrlCInEpoch2(run: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'train', SPEC, '--out', run, '--backend', 'wasm', '--no-progress'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let sent = false;
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  child.stderr.on('data', (d) => {
    stderr += d;
    if (!sent && /epoch 1\/3/.test(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr });
    }),
  );
}

describe('SIGINT inside an epoch, then --resume', () => {
  it('exits 130 with a mid-epoch checkpoint; the resumed run equals the uninterrupted one bit for bit', async () => {
    const ref = path.join(tmp, 'ref');
    const straight = mtl(['train', SPEC, '--out', ref]);
    assert.equal(straight.status, 0, straight.stderr);

    const run = path.join(tmp, 'cut');
    const r = await ctrlCInEpoch2(run);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupt: finishing the current step/);
    assert.match(r.stderr, /interrupted during epoch 2 after step \d+ of 12; checkpoints\/last holds the run at that step .*continue with: mtl train .*sigint\.yaml --resume .*cut/);
    const state = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints/last/state.json'), 'utf8'));
    assert.equal(state.epoch, 1);
    assert.equal(state.partial.epoch, 2);
    assert.ok(state.partial.steps >= 1 && state.partial.steps < 12, JSON.stringify(state.partial));
    assert.equal(state.step, 12 + state.partial.steps);
    const m = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    assert.equal(m.run.status, 'interrupted');
    assert.equal(m.epochs.length, 1);

    const resumed = mtl(['train', SPEC, '--resume', run]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.deepEqual(runOutcome(run, TIMING), runOutcome(ref, TIMING));
    const test = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'eval-test.json'), 'utf8')).tasks;
    assert.deepEqual(test(run), test(ref));
  });
});
