// Ctrl-C inside an epoch saves the epoch so far as a mid-epoch checkpoint (weights, optimizer slots,
// the dropout RNG, the strategy, the step within the epoch and its running sums), so --resume continues
// at the next step and the run ends bit-identical to an uninterrupted one: records, every metrics.jsonl
// line, every checkpoint's weight and optimizer bytes, the test metrics. In process, with the abort at
// chosen steps (the e2e test sends a real SIGINT); dropout, Adam, uw with diagnostics, per-task bests
// and kept epochs, so that every piece of state is exercised.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { silentReporter, type StepProgress } from '../../../src/train/events';
import { train } from '../../../src/train/loop';
import { runOutcome } from '../../helpers/run-outcome';
import { resumeSpecFile, TIMING } from '../../helpers/tiny';

// 32 examples, a quarter for validation: 24 in batches of 4 = 6 steps an epoch, 3 epochs.
const { tmp, spec: SPEC } = resumeSpecFile('int', 32, 'weighting: {method: uw, diagnostics: {every: 3}}\ntrain: {epochs: 3, batchSize: 4, validation: 0.25, optimizer: {type: adam, learningRate: 0.01}}\ncheckpoint: {perTask: true, keep: 2}\n');
const state = (run: string) => JSON.parse(fs.readFileSync(path.join(run, 'checkpoints/last/state.json'), 'utf8'));
const metrics = (run: string) => JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));

/** Train into `run`, aborting (as Ctrl-C) once step `step` of epoch `epoch` has been taken. */
async function interruptAt(run: string, epoch: number, step: number, resume = false): Promise<MtlError> {
  const stop = new AbortController();
  const reporter = { ...silentReporter, step: (p: StepProgress) => (p.epoch === epoch && p.step === step ? stop.abort() : undefined) };
  let caught: unknown;
  await train(SPEC, { ...(resume ? { resume: run } : { out: run }), backend: 'cpu', signal: stop.signal, reporter }).catch((e) => (caught = e));
  assert.ok(caught instanceof MtlError && caught.kind === 'interrupted', String(caught));
  return caught;
}

describe('Ctrl-C inside an epoch, then --resume', () => {
  it('ends bit-identical to the uninterrupted run, even when interrupted twice', async () => {
    const ref = path.join(tmp, 'ref');
    await train(SPEC, { out: ref, backend: 'cpu' });
    const expected = runOutcome(ref, TIMING);

    const run = path.join(tmp, 'cut');
    const e = await interruptAt(run, 2, 3);
    assert.match(e.message, /interrupted during epoch 2 after step 3 of 6; checkpoints\/last holds the run at that step .*--resume/);
    // Epoch 1 committed; the checkpoint is 3 steps into epoch 2 (6 + 3 steps of the run).
    assert.deepEqual([state(run).epoch, state(run).step, state(run).partial], [1, 9, { epoch: 2, steps: 3 }]);
    assert.equal(metrics(run).run.status, 'interrupted');
    assert.equal(metrics(run).epochs.length, 1);
    assert.ok(fs.existsSync(path.join(run, 'checkpoints/last/partial.bin')));

    // Interrupted again inside the resumed epoch (step 5 of epoch 2), then in epoch 3 at step 1.
    await interruptAt(run, 2, 5, true);
    assert.deepEqual(state(run).partial, { epoch: 2, steps: 5 });
    await interruptAt(run, 3, 1, true);
    assert.deepEqual([state(run).epoch, state(run).partial], [2, { epoch: 3, steps: 1 }]);
    await train(SPEC, { resume: run, backend: 'cpu' });
    assert.deepEqual(runOutcome(run, TIMING), expected);
  });

  it("an interrupt after an epoch's last step commits that epoch whole (no mid-epoch checkpoint)", async () => {
    const run = path.join(tmp, 'edge');
    const e = await interruptAt(run, 1, 6);
    assert.match(e.message, /interrupted during epoch 1, after its last step: the epoch is committed/);
    assert.equal(state(run).epoch, 1);
    assert.equal(state(run).partial, undefined);
    assert.equal(metrics(run).epochs.length, 1);
  });
});
