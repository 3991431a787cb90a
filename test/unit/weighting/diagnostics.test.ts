// Weighting diagnostics in a run folder: step lines every N steps, per-epoch summaries with the
// strategy's state and backward-pass counts; gradientStats against hand-computed norms and cosines.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { train } from '../../../src/train/loop';
import { gradientStats } from '../../../src/weighting/diagnostics';
import { useBackend } from '../../helpers/backend';
import { TINY_SPEC } from '../../helpers/tiny';

type Line = { type: string; step?: number; epoch: number; gradNorms?: Record<string, number>; cosine?: number[][]; backwardPasses?: number; diagnostics?: Record<string, any> };

async function run(weighting: string): Promise<{ metrics: { epochs: Array<{ diagnostics: Record<string, any> }> }; lines: Line[] }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-diag-'));
  const f = path.join(tmp, 'spec.yaml');
  fs.writeFileSync(f, `${TINY_SPEC}weighting: ${weighting}\ntrain: {epochs: 2, batchSize: 2, validation: none}\n`);
  const out = path.join(tmp, 'run');
  await train(f, { out, backend: 'cpu' });
  return {
    metrics: JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')),
    lines: fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)),
  };
}

describe('weighting diagnostics', () => {
  before(() => useBackend('cpu'));

  it('gradientStats: norms and cosines of the rows', () => {
    const G = tf.tensor2d([[3, 4], [6, 8], [-4, 3]]);
    const before = tf.memory().numTensors;
    const s = gradientStats(G, true);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(s.gradNorms.map((v) => +v.toFixed(5)), [5, 10, 5]);
    assert.deepEqual(s.cosine!.map((r) => r.map((v) => +v.toFixed(5))), [[1, 1, 0], [1, 1, 0], [0, 0, 1]]);
    assert.equal(gradientStats(G, false).cosine, undefined);
    G.dispose();
  });

  it('uw with diagnostics every 2 steps: step lines, epoch summaries, log-variances and pass counts', async () => {
    const { metrics, lines } = await run('{method: uw, diagnostics: {every: 2}}');
    const steps = lines.filter((l) => l.type === 'step');
    const epochs = lines.filter((l) => l.type === 'epoch');
    assert.equal(epochs.length, 2);
    // 8 rows, batch 2: 4 steps an epoch, steps 0, 2, 4, 6 sampled.
    assert.deepEqual(steps.map((l) => l.step), [0, 2, 4, 6]);
    for (const l of steps) {
      assert.equal(l.backwardPasses, 1 + 2);
      assert.ok(l.gradNorms!.left > 0 && l.gradNorms!.right > 0);
      assert.ok(Math.abs(l.cosine![0][0] - 1) < 1e-6 && l.cosine![0][1] === l.cosine![1][0]);
    }
    const d = metrics.epochs[1].diagnostics;
    assert.equal(d.backwardPassesPerStep, (1 + 3 + 1 + 3) / 4);
    assert.equal(d.sampledSteps, 2);
    assert.equal(d.recomputedSteps, 4);
    assert.equal(d.strategy.logVariances.length, 2);
    assert.ok(d.strategy.logVariances.some((v: number) => v !== 0), 'the log-variances moved');
  });

  it('gradient method in representation space with updateEvery 2: one pass a step, half the steps recomputed, auto diagnostics off at this length', async () => {
    const { metrics, lines } = await run('{method: gradnorm, gradSpace: representation, updateEvery: 2, diagnostics: {every: 0}}');
    assert.equal(lines.filter((l) => l.type === 'step').length, 0);
    const d = metrics.epochs[0].diagnostics;
    assert.equal(d.backwardPassesPerStep, 1);
    assert.equal(d.recomputedSteps, 2);
    assert.equal(d.gradNorms, undefined);
    assert.equal(d.strategy.weights.length, 2);
    assert.ok(Math.abs(d.strategy.weights[0] + d.strategy.weights[1] - 2) < 1e-9);
  });
});
