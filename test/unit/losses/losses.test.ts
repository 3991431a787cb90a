// Tests the loss descriptors against hand-computed values on tiny tensors, their per-sample shape,
// their schemas and their task types.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import Ajv from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { losses } from '../../../src/losses/index';
import type { LossFn } from '../../../src/losses/types';
import type { TaskType } from '../../../src/tasks';
import { useBackend } from '../../helpers/backend';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });

function fill(type: string, config: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(config);
  const validate = ajv.compile(losses.get(type).schema);
  if (!validate(copy)) throw new Error(ajv.errorsText(validate.errors));
  return copy;
}

function loss(type: string, config: Record<string, unknown> = {}, taskType: TaskType = 'classification'): LossFn {
  return losses.get(type).create(fill(type, config), { taskType, outputDim: 0 });
}

function values(fn: LossFn, yTrue: tf.Tensor, yPred: tf.Tensor): number[] {
  const out = fn(yTrue, yPred);
  assert.deepEqual(out.shape, [yPred.shape[0]], 'one loss per sample');
  const v = Array.from(out.dataSync());
  out.dispose();
  return v;
}

function close(actual: number[], expected: number[], tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `[${i}] ${a} ≉ ${expected[i]}`));
}

const idx = (v: number[]) => tf.tensor1d(v, 'int32');
const m = (v: number[][]) => tf.tensor2d(v);

before(() => useBackend('cpu'));

describe('loss registry', () => {
  it('registers the losses with their task types', () => {
    assert.deepEqual(losses.types(), ['categorical-crossentropy', 'sparse-categorical-crossentropy', 'binary-crossentropy', 'mse', 'mae', 'huber', 'crf-nll']);
    assert.deepEqual(losses.get('categorical-crossentropy').taskTypes, ['classification']);
    assert.deepEqual(losses.get('sparse-categorical-crossentropy').taskTypes, ['classification']);
    assert.deepEqual(losses.get('binary-crossentropy').taskTypes, ['binary', 'multilabel']);
    for (const t of ['mse', 'mae', 'huber']) assert.deepEqual(losses.get(t).taskTypes, ['regression']);
  });

  it('reports fromLogits from the config (false by default, as in Keras)', () => {
    for (const t of ['categorical-crossentropy', 'sparse-categorical-crossentropy', 'binary-crossentropy']) {
      const d = losses.get(t);
      assert.equal(d.fromLogits(fill(t, {})), false);
      assert.equal(d.fromLogits({ fromLogits: true }), true);
    }
    assert.equal(losses.get('mse').fromLogits({}), false);
  });

  it('has closed JSON schemas with defaults and ranges', () => {
    for (const d of losses.list()) assert.deepEqual(JSON.parse(JSON.stringify(d.schema)), d.schema);
    assert.deepEqual(fill('categorical-crossentropy', {}), { fromLogits: false, labelSmoothing: 0 });
    assert.deepEqual(fill('huber', {}), { delta: 1 });
    assert.equal(ajv.validate(losses.get('mse').schema, { delta: 1 }), false);
    assert.equal(ajv.validate(losses.get('binary-crossentropy').schema, { labelSmoothing: 1.5 }), false);
    assert.equal(ajv.validate(losses.get('huber').schema, { delta: 0 }), false);
  });
});

describe('categorical cross-entropies', () => {
  const probs = [
    [0.7, 0.2, 0.1],
    [0.1, 0.1, 0.8],
  ];

  for (const type of ['categorical-crossentropy', 'sparse-categorical-crossentropy']) {
    it(`${type}: −log p(true class) on class indices`, () => {
      close(values(loss(type), idx([0, 2]), m(probs)), [-Math.log(0.7), -Math.log(0.8)]);
    });

    it(`${type}: from logits equals from probabilities after softmax`, () => {
      const logits = m([
        [2, 1, 0.1],
        [0, -1, 3],
      ]);
      const a = values(loss(type, { fromLogits: true }), idx([1, 2]), logits);
      const b = values(loss(type), idx([1, 2]), tf.softmax(logits));
      close(a, b);
      const e0 = Math.exp(2) + Math.exp(1) + Math.exp(0.1);
      close([a[0]], [-(1 - Math.log(e0))]);
    });

    it(`${type}: label smoothing smooths the one-hot y(1−ε) + ε/C`, () => {
      const eps = 0.1;
      const y = [1 - eps + eps / 3, eps / 3, eps / 3];
      const expected = -(y[0] * Math.log(0.7) + y[1] * Math.log(0.2) + y[2] * Math.log(0.1));
      close(values(loss(type, { labelSmoothing: eps }), idx([0]), m([probs[0]])), [expected]);
      close([expected], [0.4632974], 1e-6);
    });

    it(`${type}: clips probabilities at 1e-7 and accepts [batch, 1] indices`, () => {
      const v = values(loss(type), tf.tensor2d([[1]], [1, 1], 'int32'), m([[1, 0, 0]]));
      close(v, [-Math.log(1e-7)], 1e-3);
    });

    it(`${type}: stays finite with large logits, gradients included`, () => {
      const fn = loss(type, { fromLogits: true });
      const logits = m([[1000, -1000, 0]]);
      close(values(fn, idx([1]), logits), [2000]);
      const g = tf.grad((x: tf.Tensor) => tf.sum(fn(idx([1]), x)))(logits);
      assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
    });
  }

  it('categorical-crossentropy accepts a float one-hot or probability target', () => {
    const fn = loss('categorical-crossentropy');
    close(values(fn, m([[1, 0, 0], [0, 0, 1]]), m(probs)), values(fn, idx([0, 2]), m(probs)));
    close(values(fn, m([[0.5, 0.5, 0]]), m([probs[0]])), [-(0.5 * Math.log(0.7) + 0.5 * Math.log(0.2))]);
  });

  it('renormalises probabilities that do not sum to 1 (as Keras does)', () => {
    close(values(loss('categorical-crossentropy'), idx([0]), m([[1.4, 0.4, 0.2]])), [-Math.log(0.7)]);
  });
});

describe('binary-crossentropy', () => {
  it('averages −[z log p + (1−z) log(1−p)] over the outputs', () => {
    const fn = loss('binary-crossentropy', {}, 'multilabel');
    const v = values(fn, m([[1, 0], [0, 1]]), m([[0.8, 0.3], [0.1, 0.6]]));
    close(v, [-(Math.log(0.8) + Math.log(0.7)) / 2, -(Math.log(0.9) + Math.log(0.6)) / 2]);
  });

  it('from logits equals from probabilities after sigmoid', () => {
    const logits = m([[1.5], [-0.3], [4]]);
    const z = m([[1], [0], [0]]);
    close(values(loss('binary-crossentropy', { fromLogits: true }, 'binary'), z, logits), values(loss('binary-crossentropy', {}, 'binary'), z, tf.sigmoid(logits)));
  });

  it('is stable on large logits', () => {
    const v = values(loss('binary-crossentropy', { fromLogits: true }, 'binary'), m([[1], [0], [0], [1]]), m([[100], [-100], [100], [-100]]));
    close(v, [0, 0, 100, 100], 1e-4);
  });

  it('applies label smoothing z(1−ε) + ε/2', () => {
    const v = values(loss('binary-crossentropy', { labelSmoothing: 0.2 }, 'binary'), m([[1]]), m([[0.8]]));
    close(v, [-(0.9 * Math.log(0.8) + 0.1 * Math.log(0.2))]);
  });

  it('accepts [batch] targets for a [batch, 1] head', () => {
    close(values(loss('binary-crossentropy', {}, 'binary'), tf.tensor1d([1, 0]), m([[0.8], [0.4]])), [-Math.log(0.8), -Math.log(0.6)]);
  });
});

describe('regression losses', () => {
  const yTrue = m([[1, 2], [3, 4]]);
  const yPred = m([[1, 0], [0, 4]]);

  it('mse', () => close(values(loss('mse', {}, 'regression'), yTrue, yPred), [2, 4.5]));
  it('mae', () => close(values(loss('mae', {}, 'regression'), yTrue, yPred), [1, 1.5]));

  it('huber: quadratic inside delta, linear outside', () => {
    const fn = loss('huber', {}, 'regression');
    close(values(fn, m([[0], [0], [0]]), m([[0.5], [-3], [1]])), [0.125, 2.5, 0.5]);
    close(values(loss('huber', { delta: 2 }, 'regression'), m([[0, 0]]), m([[3, 1]])), [(2 * (3 - 1) + 0.5) / 2]);
  });

  it('takes [batch] targets for a one-column head', () => {
    close(values(loss('mse', {}, 'regression'), tf.tensor1d([1, 2]), m([[0], [4]])), [1, 4]);
  });
});
