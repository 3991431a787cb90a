// Merge layers and the distance layer: values from their formulas on known tensors, shape errors,
// and a round trip of the custom classes through tfjs serialisation.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { layers } from '../../../src/layers/index';
import '../../../src/model/custom-layers';
import { useBackend } from '../../helpers/backend';

const make = (type: string, args: Record<string, unknown> = {}) => layers.get(type).create(args, { name: `t_${type}`, nextSeed: () => 1 }) as tf.layers.Layer;
const round = (xs: ArrayLike<number>) => Array.from(xs, (v) => +v.toFixed(5) + 0);

describe('merge and distance layers', () => {
  before(() => useBackend('cpu'));

  const a = [[1, 2], [3, 4]];
  const b = [[5, 6], [7, 8]];
  const CASES: Array<[string, Record<string, unknown>, number[]]> = [
    ['add', {}, [6, 8, 10, 12]],
    ['multiply', {}, [5, 12, 21, 32]],
    ['average', {}, [3, 4, 5, 6]],
    ['subtract', {}, [-4, -4, -4, -4]],
    ['concatenate', {}, [1, 2, 5, 6, 3, 4, 7, 8]],
    ['concatenate', { axis: 0 }, [1, 2, 3, 4, 5, 6, 7, 8]],
  ];
  for (const [type, args, want] of CASES) {
    it(`${type} ${JSON.stringify(args)}`, () => {
      const y = make(type, args).apply([tf.tensor2d(a), tf.tensor2d(b)]) as tf.Tensor;
      assert.deepEqual(round(y.dataSync()), want);
    });
  }

  const DIST: Array<[string, number[][], number[][], number[]]> = [
    ['euclidean', [[0, 0], [1, 1]], [[3, 4], [1, 1]], [5, Math.sqrt(1e-7)]],
    ['manhattan', [[0, 0], [1, -1]], [[3, 4], [1, 1]], [7, 2]],
    ['cosine', [[1, 0], [1, 1]], [[0, 1], [2, 2]], [1, 0]],
  ];
  for (const [metric, x, y, want] of DIST) {
    it(`distance ${metric}: one column per example`, () => {
      const d = make('distance', { metric }).apply([tf.tensor2d(x), tf.tensor2d(y)]) as tf.Tensor;
      assert.deepEqual(d.shape, [2, 1]);
      assert.deepEqual(round(d.dataSync()), round(want));
    });
  }

  it('distance and subtract reject inputs of different shapes when wired', () => {
    for (const type of ['distance', 'subtract']) {
      assert.throws(() => make(type).apply([tf.input({ shape: [3] }), tf.input({ shape: [4] })]), /same shape/);
    }
  });

  it('the custom classes survive toJSON / loadLayersModel', async () => {
    const x1 = tf.input({ shape: [3] });
    const x2 = tf.input({ shape: [3] });
    const out = make('distance', { metric: 'manhattan' }).apply([make('subtract').apply([x1, x2]) as tf.SymbolicTensor, x2]) as tf.SymbolicTensor;
    const m = tf.model({ inputs: [x1, x2], outputs: out });
    const saved: tf.io.ModelArtifacts[] = [];
    await m.save(tf.io.withSaveHandler(async (art) => (saved.push(art), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const back = await tf.loadLayersModel(tf.io.fromMemory(saved[0]));
    const i1 = tf.tensor2d([[1, 2, 3]]);
    const i2 = tf.tensor2d([[0, 1, 1]]);
    // |(x1 − x2) − x2| summed: |1−0| + |1−1| + |2−1| = 2.
    assert.deepEqual(round((back.predict([i1, i2]) as tf.Tensor).dataSync()), [2]);
  });
});
