// The train step's weighting modes: representation-space gradients give the loss-mode update for a
// sum-of-gradients strategy and leak nothing; updateEvery reuses weights; diagnostics see identical
// tasks as cosine 1; backward passes are counted.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch, type Batch } from '../../../src/data/batching';
import { disposeStepResult, trainStep, type StepParts } from '../../../src/train/step';
import { seedGlobalRandom } from '../../../src/util/global-random';
import { strategies } from '../../../src/weighting/index';
import { useBackend } from '../../helpers/backend';
import { staticOf, stepParts, sumOfGradients } from '../../helpers/step';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const flatWeights = (p: StepParts) => Array.from(tf.tidy(() => tf.concat(p.built.model.getWeights().map((w) => w.reshape([-1])))).dataSync());
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

describe('train step: representation space, updateEvery, diagnostics', () => {
  before(() => useBackend('cpu'));

  it('representation mode with a sum-of-gradients strategy gives the loss-mode update, in one backward pass', () => {
    const spec = tinySpec().resolved;
    const after: number[][] = [];
    const sog = sumOfGradients();
    for (const [s, extra] of [[staticOf(spec), {}], [sog, { gradSpace: 'representation' as const }]] as const) {
      seedGlobalRandom(11);
      const p = stepParts(spec, s, extra);
      const batch = tinyBatch(4, 2);
      for (let step = 0; step < 3; step++) {
        const r = trainStep(p, batch, { step, epoch: 1, learningRate: 0.1, epochLosses: [] });
        assert.equal(r.backwardPasses, 1);
        disposeStepResult(r);
      }
      after.push(flatWeights(p));
      disposeBatch(batch);
      p.built.model.dispose();
    }
    // Rows are ∂L_t/∂z: batch × the width of the shared representation (dense 8).
    assert.equal(sog.width, 4 * 8);
    assert.equal(sog.calls, 3);
    assert.ok(maxDiff(after[0], after[1]) < 1e-5, `max difference ${maxDiff(after[0], after[1])}`);
  });

  it('representation mode with weights w on the rows and on the heads gives static weighting w\'s loss-mode update, and reports w', () => {
    const spec = tinySpec().resolved;
    const w = [2, 0.5];
    const after: number[][] = [];
    const reported: number[][] = [];
    const fixed = {
      ...sumOfGradients(),
      combine: ({ grads }: { grads: tf.Tensor2D }) => ({ direction: tf.matMul(tf.tensor2d([w]), grads).reshape([-1]) as tf.Tensor1D, weights: tf.tensor1d(w), headWeights: tf.tensor1d(w) }),
    };
    const staticW = strategies.get('static').create({}, { taskNames: ['left', 'right'], taskWeights: w, seed: 0 });
    for (const [s, extra] of [[staticW, {}], [fixed, { gradSpace: 'representation' as const }]] as const) {
      seedGlobalRandom(11);
      const p = stepParts(spec, s, extra);
      const batch = tinyBatch(4, 2);
      for (let step = 0; step < 3; step++) {
        const r = trainStep(p, batch, { step, epoch: 1, learningRate: 0.1, epochLosses: [] });
        reported.push(Array.from(r.weights.dataSync()));
        disposeStepResult(r);
      }
      after.push(flatWeights(p));
      disposeBatch(batch);
      p.built.model.dispose();
    }
    assert.deepEqual(reported, new Array(6).fill(w));
    assert.ok(maxDiff(after[0], after[1]) < 1e-5, `max difference ${maxDiff(after[0], after[1])}`);
  });

  it('parameter mode takes T backward passes and representation mode does not grow the tensor count', () => {
    const spec = tinySpec().resolved;
    const p = stepParts(spec, sumOfGradients(), {}, 'adam');
    const batch = tinyBatch();
    const r0 = trainStep(p, batch, { step: 0, epoch: 1, learningRate: 0.01, epochLosses: [] });
    assert.equal(r0.backwardPasses, 2);
    disposeStepResult(r0);
    p.gradSpace = 'representation';
    const counts: number[] = [];
    for (let step = 1; step < 7; step++) {
      const r = trainStep(p, batch, { step, epoch: 1, learningRate: 0.01, epochLosses: [], diagnose: step % 2 ? { cosine: true } : undefined });
      disposeStepResult(r);
      counts.push(tf.memory().numTensors);
    }
    assert.deepEqual(counts, new Array(counts.length).fill(counts[0]), `${counts}`);
    disposeBatch(batch);
    p.built.model.dispose();
    p.opt.optimizer.dispose();
  });

  it('updateEvery k recomputes on every k-th step and reuses the last weights in between', () => {
    const spec = tinySpec().resolved;
    for (const gradSpace of ['parameters', 'representation'] as const) {
      const rlw = strategies.get('rlw').create({}, { taskNames: ['left', 'right'], taskWeights: [1, 1], seed: 5 });
      const p = stepParts(spec, rlw, { updateEvery: 3, gradSpace });
      const batch = tinyBatch();
      const seen: Array<{ w: number[]; recomputed: boolean; passes: number }> = [];
      for (let step = 0; step < 6; step++) {
        const r = trainStep(p, batch, { step, epoch: 1, learningRate: 0.1, epochLosses: [] });
        seen.push({ w: Array.from(r.weights.dataSync()), recomputed: r.recomputed, passes: r.backwardPasses });
        disposeStepResult(r);
      }
      assert.deepEqual(seen.map((s) => s.recomputed), [true, false, false, true, false, false]);
      assert.deepEqual(seen[1].w, seen[0].w);
      assert.deepEqual(seen[2].w, seen[0].w);
      assert.notDeepEqual(seen[3].w, seen[0].w, 'rlw redraws at the recomputation');
      assert.deepEqual(seen[5].w, seen[3].w);
      assert.ok(seen.every((s) => s.passes === 1));
      disposeBatch(batch);
      p.built.model.dispose();
    }
  });

  it('a cheap step follows Σ w_t ∇L_t: with frozen weights it equals static weighting with those weights', () => {
    const spec = tinySpec().resolved;
    const w = [0.3, 1.7];
    const after: number[][] = [];
    for (const mode of ['static', 'cheap'] as const) {
      const s = mode === 'static' ? strategies.get('static').create({}, { taskNames: ['left', 'right'], taskWeights: w, seed: 0 }) : sumOfGradients();
      const p = stepParts(spec, s, mode === 'cheap' ? { updateEvery: 100, memory: { weights: w, headWeights: w } } : {});
      const batch = tinyBatch(5, 3);
      const r = trainStep(p, batch, { step: 1, epoch: 1, learningRate: 0.1, epochLosses: [] });
      assert.equal(r.recomputed, mode === 'static');
      disposeStepResult(r);
      after.push(flatWeights(p));
      disposeBatch(batch);
      p.built.model.dispose();
    }
    assert.ok(maxDiff(after[0], after[1]) < 1e-5, `max difference ${maxDiff(after[0], after[1])}`);
  });

  it('diagnostics: two identical tasks have gradient cosine 1 and equal norms; extra passes are counted', () => {
    const spec = tinySpec().resolved;
    const p = stepParts(spec, staticOf(spec));
    // left is softmax + cross-entropy, right is logits + cross-entropy from logits: the same loss once
    // the heads hold the same weights and see the same targets.
    p.heads[1].forEach((v, i) => v.assign(p.heads[0][i]));
    const b = tinyBatch(6, 4);
    const batch: Batch = { ...b, targets: { left: b.targets.left, right: b.targets.left.clone() } };
    const r = trainStep(p, batch, { step: 0, epoch: 1, learningRate: 0.1, epochLosses: [], diagnose: { cosine: true } });
    assert.ok(r.diagnostics);
    const { gradNorms, cosine } = r.diagnostics;
    assert.ok(gradNorms[0] > 0);
    assert.ok(Math.abs(gradNorms[0] - gradNorms[1]) < 1e-4 * gradNorms[0], `${gradNorms}`);
    assert.ok(cosine && Math.abs(cosine[0][1] - 1) < 1e-4, `${JSON.stringify(cosine)}`);
    assert.equal(r.backwardPasses, 1 + 2);
    disposeStepResult(r);
    disposeBatch(batch);
    b.targets.right.dispose();
    p.built.model.dispose();
  });
});
