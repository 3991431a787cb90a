// One set of random draws per step (src/train/draws.ts): every forward pass of a step sees the same
// dropout masks and batch-norm statistics are updated once; masks differ between steps and repeat
// under the same seed (mlp and transformerEncoder included); diagnostics do not change the trajectory.
// Also: cheap steps (updateEvery) train a head whose shared weight is 0, and uw + updateEvery + Adam.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../src/data/batching';
import { buildModel } from '../../../src/model/build';
import { disposeStepResult, trainStep, type StepParts } from '../../../src/train/step';
import { restoreGlobalRandom, seedGlobalRandom } from '../../../src/util/global-random';
import { strategies } from '../../../src/weighting/index';
import type { GradientStrategy, WeightingStrategy } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';
import { stepParts } from '../../helpers/step';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const NAMES = ['left', 'right'];
const create = (method: string, options: Record<string, unknown> = {}) => strategies.get(method).create(options, { taskNames: NAMES, taskWeights: [1, 1], seed: 1 });
const allWeights = (p: StepParts) => tf.tidy(() => p.built.model.getWeights().map((w) => Array.from(w.dataSync())));
const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i][j])))));

/** The mean of the task gradients as a gradient method: the update of equal weighting, in parameter space. */
function meanOfGradients(): GradientStrategy {
  return {
    needs: 'task-gradients',
    combine: ({ grads }) => ({ direction: tf.mean(grads, 0) as tf.Tensor1D, weights: tf.fill([grads.shape[0]], 1 / grads.shape[0]) as tf.Tensor1D, headWeights: tf.fill([grads.shape[0]], 1 / grads.shape[0]) as tf.Tensor1D }),
    variables: () => [],
    weights: () => ({}),
    state: () => null,
    restore() {},
    dispose() {},
  };
}

/** A shared weight 0 for task right, head weight 1 for both (as MGDA can give). */
function starveRight(): GradientStrategy {
  return {
    needs: 'task-gradients',
    combine: ({ grads }) => ({ direction: grads.slice([0, 0], [1, -1]).reshape([-1]) as tf.Tensor1D, weights: tf.tensor1d([1, 0]), headWeights: tf.tensor1d([1, 1]) }),
    variables: () => [],
    weights: () => ({}),
    state: () => null,
    restore() {},
    dispose() {},
  };
}

// The tiny spec with batch norm and dropout in the backbone: both kinds of per-pass state.
const BN_DROPOUT = (text: string) => text.replace('  - flatten:\n', '  - batchNormalization:\n  - flatten:\n  - dropout: {rate: 0.5}\n');

describe('one set of random draws per step', () => {
  before(() => useBackend('cpu'));

  it('parameter-space mean of gradients equals equal weighting\'s loss step on a model with dropout and batch norm', async () => {
    const { validateSpecText } = await import('../../../src/spec/validate');
    const { TINY_SPEC } = await import('../../helpers/tiny');
    const spec = validateSpecText(BN_DROPOUT(TINY_SPEC), 'noisy.yaml').resolved;
    const after: number[][][] = [];
    for (const s of [create('equal'), meanOfGradients()] as WeightingStrategy[]) {
      seedGlobalRandom(7);
      const p = stepParts(spec, s);
      for (let step = 0; step < 2; step++) {
        const b = tinyBatch(6, step + 1);
        disposeStepResult(trainStep(p, b, { step, epoch: 1, learningRate: 0.1, epochLosses: [] }));
        disposeBatch(b);
      }
      after.push(allWeights(p)); // trainable weights and the moving mean/variance
      p.built.model.dispose();
      restoreGlobalRandom();
    }
    // Before: each task's pass drew its own masks and moved the statistics again (differences ~1e-1).
    assert.ok(maxDiff(after[0], after[1]) < 1e-5, `max difference ${maxDiff(after[0], after[1])}`);
  });

  it('diagnosing a step (T extra passes) does not change the trajectory', async () => {
    const { validateSpecText } = await import('../../../src/spec/validate');
    const { TINY_SPEC } = await import('../../helpers/tiny');
    const spec = validateSpecText(BN_DROPOUT(TINY_SPEC), 'noisy.yaml').resolved;
    const after: number[][][] = [];
    for (const diagnose of [undefined, { cosine: true }]) {
      seedGlobalRandom(9);
      const p = stepParts(spec, create('uw'));
      for (let step = 0; step < 3; step++) {
        const b = tinyBatch(6, step + 1);
        disposeStepResult(trainStep(p, b, { step, epoch: 1, learningRate: 0.1, epochLosses: [], diagnose }));
        disposeBatch(b);
      }
      after.push(allWeights(p));
      p.built.model.dispose();
      restoreGlobalRandom();
    }
    assert.equal(maxDiff(after[0], after[1]), 0);
  });

  for (const [layer, backbone] of [
    ['mlp', '  - flatten:\n  - mlp: {units: [16, 8], dropout: 0.5}\n'],
    ['transformerEncoder', '  - reshape: {targetShape: [36, 36]}\n  - transformerEncoder: {layers: 1, heads: 2, dModel: 8, dFf: 8, dropout: 0.5}\n  - globalAveragePooling1d:\n'],
  ]) {
    it(`${layer}: dropout masks differ between steps and repeat under the same seed`, async () => {
      const { validateSpecText } = await import('../../../src/spec/validate');
      const { TINY_SPEC } = await import('../../helpers/tiny');
      const text = TINY_SPEC.replace(/backbone:\n(  - .*\n)+/, `backbone:\n${backbone}`);
      const built = buildModel(validateSpecText(text, `${layer}.yaml`).resolved);
      const x = tf.randomUniform([2, 36, 36, 1], 0, 1, 'float32', 4);
      const twoSteps = () => {
        seedGlobalRandom(5);
        const out = [0, 1].map(() => tf.tidy(() => Array.from((built.model.apply(x, { training: true }) as tf.Tensor[])[1].dataSync())));
        restoreGlobalRandom();
        return out;
      };
      const [a1, a2] = twoSteps();
      const [b1, b2] = twoSteps();
      // Before: a fixed dropout seed gave the same mask at every call (a1 equal to a2).
      assert.ok(a1.some((v, i) => Math.abs(v - a2[i]) > 1e-6), `${layer}: two training passes drew the same mask`);
      assert.deepEqual(b1, a1);
      assert.deepEqual(b2, a2);
      built.model.dispose();
      x.dispose();
    });
  }
});

describe('cheap steps (updateEvery) and heads', () => {
  before(() => useBackend('cpu'));

  for (const arch of ['hard', '{type: mmoe, experts: 2}', '{type: cross-stitch, alphaSelf: 0.9}']) {
    it(`${arch}: a head whose task has shared weight 0 still trains with its own gradient`, () => {
      const spec = tinySpec(`architecture: ${arch}\n`).resolved;
      const p = stepParts(spec, starveRight(), { updateEvery: 2 });
      const rightHead = () => tf.tidy(() => Array.from(tf.concat(p.heads[1].map((v) => v.reshape([-1]))).dataSync()));
      const b = tinyBatch(6, 2);
      disposeStepResult(trainStep(p, b, { step: 0, epoch: 1, learningRate: 0.1, epochLosses: [] }));
      const before = rightHead();
      const r = trainStep(p, b, { step: 1, epoch: 1, learningRate: 0.1, epochLosses: [] }); // the cheap step
      assert.equal(r.recomputed, false);
      disposeStepResult(r);
      const moved = Math.max(...rightHead().map((v, i) => Math.abs(v - before[i])));
      // Before: mmoe and cross-stitch scaled the head gradient by hw/w with w = 0 → 0.
      assert.ok(moved > 1e-6, `${arch}: right head moved ${moved}`);
      disposeBatch(b);
      p.built.model.dispose();
    });
  }

  it('uw with updateEvery 3 and Adam: trains past the cheap steps; the log-variances move only on recomputations', () => {
    const spec = tinySpec().resolved;
    const s = create('uw');
    const p = stepParts(spec, s, { updateEvery: 3 }, 'adam');
    const logVar = () => (s.state() as { logVariances: number[] }).logVariances;
    const seen: number[][] = [];
    for (let step = 0; step < 5; step++) {
      const b = tinyBatch(6, step + 1);
      // Before: step 1 threw "shape of the new value (5,5,1,2) and previous value (2) must match".
      disposeStepResult(trainStep(p, b, { step, epoch: 1, learningRate: 0.01, epochLosses: [] }));
      disposeBatch(b);
      seen.push(logVar());
    }
    assert.notDeepEqual(seen[0], [0, 0]);
    assert.deepEqual(seen[1], seen[0]);
    assert.deepEqual(seen[2], seen[0]);
    assert.notDeepEqual(seen[3], seen[2]);
    p.built.model.dispose();
  });
});
