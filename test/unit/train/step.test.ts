// The train step: memory stays flat, the gradient-strategy path equals the loss path when it should,
// clipping behaves as its formula says (masked averaging: test/unit/losses/masked.test.ts).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../src/data/batching';
import { clipByGlobalNorm, disposeStepResult, trainStep, type StepParts } from '../../../src/train/step';
import { seedGlobalRandom } from '../../../src/util/global-random';
import { useBackend } from '../../helpers/backend';
import { staticOf, stepParts, sumOfGradients } from '../../helpers/step';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

describe('train step', () => {
  before(() => useBackend('cpu'));

  it('does not grow the live tensor count across steps (loss and gradient strategies)', () => {
    for (const strategyName of ['static', 'sum-of-gradients']) {
      const spec = tinySpec().resolved;
      const p = stepParts(spec, strategyName === 'static' ? staticOf(spec) : sumOfGradients(), {}, 'adam');
      const batch = tinyBatch();
      const counts: number[] = [];
      for (let step = 0; step < 5; step++) {
        const r = trainStep(p, batch, { step, epoch: 1, learningRate: 0.01, epochLosses: [] });
        disposeStepResult(r);
        counts.push(tf.memory().numTensors);
      }
      // Adam creates its slots on the first step; after that nothing may accumulate.
      assert.deepEqual(counts.slice(1), new Array(4).fill(counts[1]), `${strategyName}: ${counts}`);
      disposeBatch(batch);
      p.built.model.dispose();
      p.opt.optimizer.dispose();
    }
  });

  it('a gradient strategy summing task gradients gives the same update as static weights of 1', () => {
    const spec = tinySpec().resolved;
    const after: number[][] = [];
    for (const s of [staticOf(spec), sumOfGradients()]) {
      seedGlobalRandom(11);
      const p = stepParts(spec, s);
      const batch = tinyBatch(4, 2);
      const r = trainStep(p, batch, { step: 0, epoch: 1, learningRate: 0.1, epochLosses: [] });
      assert.equal(r.outputs.length, 2);
      assert.deepEqual(r.taskLosses.shape, [2]);
      disposeStepResult(r);
      after.push(Array.from(tf.concat(p.built.model.getWeights().map((w) => w.reshape([-1]))).dataSync()));
      disposeBatch(batch);
      p.built.model.dispose();
    }
    assert.equal(after[0].length, after[1].length);
    const maxDiff = Math.max(...after[0].map((v, i) => Math.abs(v - after[1][i])));
    assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
  });

  it('the update actually changes the weights and lowers the loss on a fixed batch', () => {
    const spec = tinySpec().resolved;
    const p = stepParts(spec, staticOf(spec), {}, 'adam');
    const batch = tinyBatch(8, 5);
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      const r = trainStep(p, batch, { step, epoch: 1, learningRate: 0.01, epochLosses: [] });
      losses.push(tf.sum(r.taskLosses).dataSync()[0]);
      disposeStepResult(r);
    }
    assert.ok(losses[29] < losses[0] * 0.5, `loss ${losses[0]} → ${losses[29]}`);
    disposeBatch(batch);
    p.built.model.dispose();
  });

  it('clipByGlobalNorm scales all gradients by maxNorm / global norm, and only when above it', () => {
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }; // global norm 5
    const c = clipByGlobalNorm(g, 1);
    assert.deepEqual(Array.from(c.a.dataSync()).map((x) => +x.toFixed(5)), [0.6, 0]);
    assert.deepEqual(Array.from(c.b.dataSync()).map((x) => +x.toFixed(5)), [0, 0.8]);
    const same = clipByGlobalNorm(g, 10);
    assert.deepEqual(Array.from(same.b.dataSync()), [0, 4]);
  });
});

describe('optimizer slot order', () => {
  before(() => useBackend('cpu'));

  it('lists gradients in the first-seen order, appends new variables, lists a missing gradient as null, integer names first', async () => {
    const { stableOrder } = await import('../../../src/train/step');
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'order_a');
    const b = tf.variable(tf.tensor1d([3]), true, 'order_b');
    const c = tf.variable(tf.tensor1d([4, 5, 6]), true, 'order_c');
    const p = {} as StepParts;
    const names = (l: { name: string }[]) => l.map((e) => e.name);
    assert.deepEqual(names(stableOrder(p, { order_b: tf.ones([1]), order_a: tf.ones([2]) })), ['order_b', 'order_a']);
    // A variable unfrozen later joins at the end, even if the new map lists it first.
    const second = stableOrder(p, { order_c: tf.ones([3]), order_a: tf.ones([2]), order_b: tf.ones([1]) });
    assert.deepEqual(names(second), ['order_b', 'order_a', 'order_c']);
    // A variable without a gradient this step keeps its position, with a null tensor (optimizers skip it).
    const third = stableOrder(p, { order_a: tf.ones([2]), order_c: tf.ones([3]) });
    assert.deepEqual(names(third), ['order_b', 'order_a', 'order_c']);
    assert.equal(third[0].tensor, null);
    assert.deepEqual(names(stableOrder(p, { order_b: tf.ones([1]), order_a: tf.ones([2]) })), ['order_b', 'order_a', 'order_c']);

    // Adam fed through stableOrder keeps each slot the shape of its own variable, and a skipped variable does not move.
    const adam = tf.train.adam(0.1);
    adam.applyGradients(stableOrder(p, { order_a: tf.ones([2]), order_b: tf.ones([1]), order_c: tf.ones([3]) }) as never);
    const cBefore = Array.from(c.dataSync());
    adam.applyGradients(stableOrder(p, { order_a: tf.ones([2]), order_b: tf.ones([1]) }) as never);
    assert.deepEqual(Array.from(c.dataSync()), cBefore);
    const slots = await adam.getWeights();
    assert.deepEqual(slots.slice(1, 4).map((w) => [w.name, w.tensor.shape[0]]), [['order_b/m', 1], ['order_a/m', 2], ['order_c/m', 3]]);
    tf.dispose([a, b, c]);
  });

  it('slotOrder puts integer-like names (tfjs\'s unnamed variables) first, as the earlier map form did', async () => {
    const { slotOrder } = await import('../../../src/train/step');
    assert.deepEqual(slotOrder(['dense/kernel', 'dense/bias', '12', '3', '01']), ['3', '12', 'dense/kernel', 'dense/bias', '01']);
  });
});
