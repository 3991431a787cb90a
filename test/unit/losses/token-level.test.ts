// Token-level classification (targets [b, steps] against a [b, steps, C] head): per-token
// cross-entropy, the masked mean over real tokens (padding cannot change the loss), the evaluator
// counting each token as one row, and no tensors left behind.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { Accumulator, type TaskRuntime } from '../../../src/eval/evaluate';
import { losses } from '../../../src/losses/index';
import { metrics } from '../../../src/metrics/index';
import { maskedMean } from '../../../src/losses/masked';
import { mulberry32 } from '../../../src/util/random';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

const B = 3;
const S = 5;
const C = 4;
/** Real tokens per row: the rest is padding. */
const LENGTHS = [5, 2, 3];
const maskArray = () => Float32Array.from({ length: B * S }, (_, p) => (p % S < LENGTHS[Math.floor(p / S)] ? 1 : 0));

/** Seeded logits [B, S, C] and labels [B, S]; `junk` changes only the padded positions. */
function example(junk: number) {
  const rand = mulberry32(11);
  const m = maskArray();
  const logits = Float32Array.from({ length: B * S * C }, (_, i) => (m[Math.floor(i / C)] ? rand() * 4 - 2 : junk * (i % 7) - 3));
  const labels = Int32Array.from({ length: B * S }, (_, p) => (m[p] ? (p * 3) % C : (p + junk) % C));
  return { logits, labels, m };
}

for (const [type, config] of [
  ['sparse-categorical-crossentropy', { fromLogits: true }],
  ['sparse-categorical-crossentropy', {}],
  ['sparse-categorical-crossentropy', { fromLogits: true, labelSmoothing: 0.1 }],
  ['categorical-crossentropy', { fromLogits: true }],
] as const) {
  describe(`${type} ${JSON.stringify(config)} on a [batch, steps, classes] head`, () => {
    const fn = () => losses.get(type).create(config, { taskType: 'classification', outputDim: C });
    const run = (junk: number, withMask = true) => {
      const { logits, labels, m } = example(junk);
      return tf.tidy(() => {
        const raw = tf.tensor(logits, [B, S, C]);
        const pred = 'fromLogits' in config ? raw : tf.softmax(raw);
        const per = fn()(tf.tensor(labels, [B, S], 'int32'), pred);
        const mean = maskedMean(per, withMask ? tf.tensor(m, [B, S]) : undefined);
        // The same tokens as rows of a rank-2 head: the reference per-token values.
        const flat = fn()(tf.tensor(labels, [B * S], 'int32'), tf.reshape(pred, [B * S, C]));
        return { shape: per.shape, per: [...per.dataSync()], mean: mean.dataSync()[0], flat: [...flat.dataSync()] };
      });
    };

    it('returns one loss per token, equal to the same tokens as rows', () => {
      const r = run(1);
      assert.deepEqual(r.shape, [B, S]);
      r.per.forEach((v, p) => assert.ok(Math.abs(v - r.flat[p]) < 1e-6, `token ${p}`));
    });

    it('averages over the real tokens only: padding does not change the loss', () => {
      const a = run(1);
      const b = run(5);
      const m = maskArray();
      const want = a.per.reduce((s, v, p) => s + v * m[p], 0) / m.reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(a.mean - want) < 1e-6);
      assert.ok(Math.abs(a.mean - b.mean) < 1e-6, `${a.mean} vs ${b.mean}`);
      // Without the mask the padding counts, and junk there moves the loss.
      assert.ok(Math.abs(run(1, false).mean - run(5, false).mean) > 1e-3);
    });

    it('leaves no tensors behind', () => {
      run(1);
      const before = tf.memory().numTensors;
      run(2);
      assert.equal(tf.memory().numTensors, before);
    });
  });
}

describe('maskedMean', () => {
  it('per-row losses with a per-row mask (unchanged), per-token losses with a per-row mask, per-row losses with a per-token mask', () => {
    tf.tidy(() => {
      assert.equal(maskedMean(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([1, 0, 1, 0])).dataSync()[0], 2);
      const tokens = tf.tensor2d([[1, 2, 3], [10, 20, 30]]);
      // Row 2 dropped: mean of row 1's three tokens.
      assert.equal(maskedMean(tokens, tf.tensor1d([1, 0])).dataSync()[0], 2);
      // Per-token mask: tokens 1, 2 of row 1 and token 10 of row 2.
      assert.ok(Math.abs(maskedMean(tokens, tf.tensor2d([[1, 1, 0], [1, 0, 0]])).dataSync()[0] - 13 / 3) < 1e-6);
      // A sequence-level loss [b] with a per-token mask keeps rows with any labelled token.
      assert.equal(maskedMean(tf.tensor1d([4, 8, 100]), tf.tensor2d([[1, 0], [1, 1], [0, 0]])).dataSync()[0], 6);
      assert.equal(maskedMean(tokens, tf.zeros([2, 3])).dataSync()[0], 0);
    });
  });
});

describe('Accumulator on token-level outputs', () => {
  const task = (): TaskRuntime => ({
    name: 'slots',
    type: 'classification',
    lossFn: losses.get('sparse-categorical-crossentropy').create({}, { taskType: 'classification', outputDim: C }),
    fromLogits: false,
    weight: 1,
    metrics: [{ key: 'accuracy', fn: metrics.get('accuracy').create({}, { taskType: 'classification' }), higherIsBetter: true }],
  });

  it('counts each real token as one row: metrics and loss weighting ignore padding', () => {
    const acc = new Accumulator([task()]);
    tf.tidy(() => {
      // Batch 1: 2 rows × 3 steps; prediction = class 1 everywhere.
      const pred = tf.oneHot(tf.fill([2, 3], 1, 'int32'), C).toFloat();
      // Real tokens: row 0 → labels 1, 1, (pad 0); row 1 → 2, (pad 3), (pad 3).
      const y = tf.tensor2d([[1, 1, 0], [2, 3, 3]], [2, 3], 'int32');
      acc.add(0, 0.5, pred, y, tf.tensor2d([[1, 1, 0], [1, 0, 0]]));
      // Batch 2: 1 row, one real token, correct; a per-row mask would be [1].
      acc.add(0, 2, tf.oneHot(tf.tensor2d([[0, 2, 2]], [1, 3], 'int32'), C).toFloat(), tf.tensor2d([[0, 0, 0]], [1, 3], 'int32'), tf.tensor2d([[1, 0, 0]]));
    });
    const r = acc.result().tasks.slots;
    // 3 real tokens correct (1, 1, then 0) out of 4.
    assert.equal(r.accuracy, 3 / 4);
    // Loss: batch means weighted by their real-token counts (3 and 1).
    assert.ok(Math.abs(r.loss - (0.5 * 3 + 2 * 1) / 4) < 1e-9);
  });

  it('without a mask every token counts; a per-row mask drops whole rows of tokens', () => {
    const acc = new Accumulator([task()]);
    tf.tidy(() => {
      const pred = tf.oneHot(tf.fill([2, 2], 1, 'int32'), C).toFloat();
      acc.add(0, 1, pred, tf.tensor2d([[1, 0], [1, 1]], [2, 2], 'int32'));
    });
    assert.equal(acc.result().tasks.slots.accuracy, 3 / 4);
    const rows = new Accumulator([task()]);
    tf.tidy(() => {
      const pred = tf.oneHot(tf.fill([2, 2], 1, 'int32'), C).toFloat();
      rows.add(0, 1, pred, tf.tensor2d([[1, 0], [1, 1]], [2, 2], 'int32'), tf.tensor1d([0, 1]));
    });
    assert.equal(rows.result().tasks.slots.accuracy, 1);
  });
});
