// Per-pixel tasks (a [b, h, w, C] head): cross-entropy per pixel with masks and class weights, MAE
// and MSE per pixel with masks — against values computed by hand — and the evaluator measuring pixel
// accuracy, mean IoU, MAE and RMSE over the labelled pixels of several batches from summed
// statistics (the same numbers as over all pixels at once, none of the predictions kept).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { Accumulator, type TaskRuntime } from '../../../src/eval/evaluate';
import { losses } from '../../../src/losses/index';
import { maskedMean } from '../../../src/losses/masked';
import { metrics } from '../../../src/metrics/index';
import type { TaskType } from '../../../src/tasks';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);
const ln = Math.log;

/** One image of 2×2 pixels, 3 classes: probabilities per pixel (rows sum to 1). */
const PROBS = [
  [0.7, 0.2, 0.1], // (0,0) gold 0
  [0.1, 0.3, 0.6], // (0,1) gold 2
  [0.25, 0.5, 0.25], // (1,0) gold 1
  [0.2, 0.2, 0.6], // (1,1) gold 1 (wrong)
];
const GOLD = [0, 2, 1, 1];

function crossEntropy(config: Record<string, unknown>, mask?: number[]) {
  return tf.tidy(() => {
    const fn = losses.get('sparse-categorical-crossentropy').create(config, { taskType: 'classification', outputDim: 3 });
    const per = fn(tf.tensor(GOLD, [1, 2, 2], 'int32'), tf.tensor(PROBS.flat(), [1, 2, 2, 3]));
    return { shape: per.shape, per: [...per.dataSync()], mean: maskedMean(per, mask ? tf.tensor(mask, [1, 2, 2]) : undefined).dataSync()[0] };
  });
}

describe('sparse-categorical-crossentropy on a per-pixel head', () => {
  it('gives one loss per pixel, −log p(gold), averaged over the labelled pixels', () => {
    const r = crossEntropy({});
    assert.deepEqual(r.shape, [1, 2, 2]);
    const want = [-ln(0.7), -ln(0.6), -ln(0.5), -ln(0.2)];
    r.per.forEach((v, i) => close(v, want[i]));
    close(r.mean, (want[0] + want[1] + want[2] + want[3]) / 4);
    // Mask out (0,1) and (1,1): the mean of the two others only.
    close(crossEntropy({}, [1, 0, 1, 0]).mean, (-ln(0.7) - ln(0.5)) / 2);
  });

  it('classWeights multiply each pixel by its gold class weight (Keras class_weight: then the mean over labelled pixels)', () => {
    const w = [0.5, 2, 4];
    const r = crossEntropy({ classWeights: w }, [1, 1, 0, 1]);
    const want = [-0.5 * ln(0.7), -4 * ln(0.6), -2 * ln(0.5), -2 * ln(0.2)];
    r.per.forEach((v, i) => close(v, want[i], 1e-5));
    close(r.mean, (want[0] + want[1] + want[3]) / 3, 1e-5);
  });

  it('from logits: the same losses as softmax probabilities', () => {
    const logits = PROBS.flat().map((p) => ln(p) + 1.5);
    const per = tf.tidy(() => [...losses.get('sparse-categorical-crossentropy').create({ fromLogits: true, classWeights: [1, 1, 3] }, { taskType: 'classification', outputDim: 3 })(tf.tensor(GOLD, [1, 2, 2], 'int32'), tf.tensor(logits, [1, 2, 2, 3])).dataSync()]);
    [-ln(0.7), -3 * ln(0.6), -ln(0.5), -ln(0.2)].forEach((v, i) => close(per[i], v, 1e-5));
  });

  it('a class-weight list of the wrong length is refused', () => {
    assert.throws(() => crossEntropy({ classWeights: [1, 2] }), /classWeights has 2 weights for a head of 3 classes/);
  });
});

describe('mae and mse on a per-pixel head', () => {
  // 1 image, 2×2 pixels, 1 value each; the pixel (1,0) is not labelled.
  const pred = [0.1, 0.5, 0.9, 0.2];
  const gold = [0, 1, 1, 0];
  const mask = [1, 1, 0, 1];
  for (const [type, want] of [
    ['mae', (0.1 + 0.5 + 0.2) / 3],
    ['mse', (0.01 + 0.25 + 0.04) / 3],
  ] as const) {
    it(`${type}: one loss per pixel, the mean over labelled pixels`, () => {
      const r = tf.tidy(() => {
        const per = losses.get(type).create({}, { taskType: 'regression', outputDim: 1 })(tf.tensor(gold, [1, 2, 2, 1]), tf.tensor(pred, [1, 2, 2, 1]));
        return { shape: per.shape, mean: maskedMean(per, tf.tensor(mask, [1, 2, 2])).dataSync()[0] };
      });
      assert.deepEqual(r.shape, [1, 2, 2]);
      close(r.mean, want);
    });
  }
});

function runtime(type: TaskType, keys: string[]): TaskRuntime {
  return {
    name: 't',
    type,
    lossFn: losses.get(type === 'classification' ? 'sparse-categorical-crossentropy' : 'mae').create({}, { taskType: type, outputDim: 0 }),
    fromLogits: false,
    weight: 1,
    metrics: keys.map((k) => ({ key: k, fn: metrics.get(k).create({}, { taskType: type }), higherIsBetter: k !== 'mae' && k !== 'rmse' })),
  };
}

describe('per-pixel metrics in the evaluator', () => {
  it('pixel accuracy and mean IoU over the labelled pixels of two batches (pooled, not averaged per batch)', () => {
    const acc = new Accumulator([runtime('classification', ['accuracy', 'mean-iou'])]);
    tf.tidy(() => {
      // Batch 1: the 4 pixels above; (1,1) masked out → predicted 0, 2, 1 against gold 0, 2, 1: 3 of 3.
      acc.add(0, 1, tf.tensor(PROBS.flat(), [1, 2, 2, 3]), tf.tensor(GOLD, [1, 2, 2], 'int32'), tf.tensor([1, 1, 1, 0], [1, 2, 2]));
      // Batch 2: 2 images of 1×2 pixels, all labelled: predicted 0, 0, 2, 2 against gold 0, 1, 1, 2.
      const p = [[0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0, 0.1, 0.9]].flat();
      acc.add(0, 1, tf.tensor(p, [2, 1, 2, 3]), tf.tensor([0, 1, 1, 2], [2, 1, 2], 'int32'));
    });
    const r = acc.result().tasks.t;
    // 7 labelled pixels, 5 right.
    close(r.accuracy, 5 / 7);
    // Pooled: gold/pred pairs (0,0) (2,2) (1,1) (0,0) (1,0) (1,2) (2,2).
    // class 0: TP 2, FP 1, FN 0 → 2/3; class 1: TP 1, FN 2 → 1/3; class 2: TP 2, FP 1 → 2/3.
    close(r['mean-iou'], (2 / 3 + 1 / 3 + 2 / 3) / 3);
  });

  it('per-pixel MAE and RMSE: each pixel is one row', () => {
    const acc = new Accumulator([runtime('regression', ['mae', 'rmse'])]);
    tf.tidy(() => {
      acc.add(0, 0, tf.tensor([0.1, 0.5, 0.9, 0.2], [1, 2, 2, 1]), tf.tensor([0, 1, 1, 0], [1, 2, 2, 1]), tf.tensor([1, 1, 0, 1], [1, 2, 2]));
      acc.add(0, 0, tf.tensor([0.5, 0.5], [1, 1, 2, 1]), tf.tensor([0.5, 0.1], [1, 1, 2, 1]));
    });
    const r = acc.result().tasks.t;
    // Labelled errors: 0.1, 0.5, 0.2, 0, 0.4.
    close(r.mae, (0.1 + 0.5 + 0.2 + 0 + 0.4) / 5);
    close(r.rmse, Math.sqrt((0.01 + 0.25 + 0.04 + 0 + 0.16) / 5));
  });

  it('a per-pixel task whose metrics all sum keeps no predictions', () => {
    const acc = new Accumulator([runtime('classification', ['accuracy'])]);
    tf.tidy(() => acc.add(0, 1, tf.tensor(PROBS.flat(), [1, 2, 2, 3]), tf.tensor(GOLD, [1, 2, 2], 'int32')));
    assert.deepEqual((acc as unknown as { preds: Float32Array[][] }).preds, [[]]);
    close(acc.result().tasks.t.accuracy, 3 / 4);
  });
});
