// checkpoint.everySteps: a run that crashes inside an epoch resumes from its last mid-epoch checkpoint
// and ends bit-identical to the uninterrupted run (records, step lines, every checkpoint's weights and
// optimizer bytes, test metrics), with dropout, Adam and uw; the mid-epoch checkpoints themselves do
// not change the trajectory.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { silentReporter } from '../../../src/train/events';
import { train } from '../../../src/train/loop';
import { useBackend } from '../../helpers/backend';
import { runOutcome } from '../../helpers/run-outcome';
import { TINY_SPEC } from '../../helpers/tiny';

const TIMING = new Set(['wallTime', 'samplesPerSecond', 'startedAt', 'endedAt', 'evaluatedAt', 'at', 'runDir', 'spec', 'resumed', 'checkpoint']);
const outcome = (run: string) => runOutcome(run, TIMING);

// 21 training rows in batches of 4: 6 steps an epoch; everySteps 4 → mid-epoch checkpoints after steps 4, 8 (epoch 2, 2 steps in), 16.
const SPEC = (every: string) =>
  TINY_SPEC.replace('trainSize: 8', 'trainSize: 24').replace('  - dense: {units: 8, activation: relu}', '  - dense: {units: 8, activation: relu}\n  - dropout: {rate: 0.3}') +
  `weighting: {method: uw, diagnostics: {every: 1}}\ntrain: {epochs: 3, batchSize: 4, optimizer: {type: adam, learningRate: 0.01}}\ncheckpoint: {everySteps: ${every}}\n`;

describe('checkpoint.everySteps', () => {
  before(() => useBackend('cpu'));

  it('a crash mid-epoch resumes from the last mid-epoch checkpoint, bit-identical to the uninterrupted run', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-mid-'));
    const spec = (name: string, every: string) => {
      const f = path.join(tmp, name);
      fs.writeFileSync(f, SPEC(every));
      return f;
    };
    const straight = path.join(tmp, 'straight');
    await train(spec('every.yaml', '4'), { out: straight, backend: 'cpu' });
    const plain = path.join(tmp, 'plain');
    await train(spec('plain.yaml', 'null'), { out: plain, backend: 'cpu' });
    const expected = outcome(straight);
    assert.deepEqual(outcome(plain), expected, 'mid-epoch checkpoints do not change the trajectory');

    // Crash at epoch 2, step 5 (global step 11): the last commit is the mid-epoch checkpoint after global step 8.
    const crashed = path.join(tmp, 'crashed');
    const crash = { ...silentReporter, step: (p: { epoch: number; step: number }) => {
      if (p.epoch === 2 && p.step === 5) throw new Error('crash');
    } };
    await assert.rejects(train(spec('every.yaml', '4'), { out: crashed, backend: 'cpu', reporter: crash }), /crash/);
    const st = JSON.parse(fs.readFileSync(path.join(crashed, 'checkpoints/last/state.json'), 'utf8'));
    assert.deepEqual([st.epoch, st.step, st.partial], [1, 8, { epoch: 2, steps: 2 }]);
    assert.ok(st.files['partial.bin'], 'partial.bin is checksummed');
    await train(spec('every.yaml', '4'), { resume: crashed, backend: 'cpu' });
    assert.deepEqual(outcome(crashed), expected);
  });
});
