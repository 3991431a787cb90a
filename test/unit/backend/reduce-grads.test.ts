// Tests the gradients of Sum and Mean as a broadcast of dy (src/backend/reduce-grads.ts): by
// definition, bit for bit (Sum: dx = dy at every reduced position; Mean: dx = fround(dy / n)), over
// leading, trailing, middle and all axes, negative axes and keepDims, on wasm and cpu; and that a
// gradient step on wasm runs Tile where tfjs ran a broadcasting Multiply.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../helpers/backend';
import { values } from './wasm-compare';

const SHAPE = [3, 4, 5];
const CASES: Array<[number | number[] | undefined, boolean]> = [[0, false], [2, true], [1, false], [[0, 1], false], [-1, false], [undefined, false], [[0, 2], true]];

/** dx by definition: the upstream value of each element's reduced position, divided by n for Mean. */
function expected(axis: number | number[] | undefined, dy: Float32Array, mean: boolean): number[] {
  const axes = axis === undefined ? [0, 1, 2] : tf.util.parseAxisParam(axis, SHAPE);
  const reducedShape = SHAPE.map((d, i) => (axes.includes(i) ? 1 : d));
  const n = SHAPE.reduce((a, d, i) => a * (axes.includes(i) ? d : 1), 1);
  const out: number[] = [];
  for (let i = 0; i < 3 * 4 * 5; i++) {
    const idx = [Math.floor(i / 20), Math.floor(i / 5) % 4, i % 5].map((v, k) => (axes.includes(k) ? 0 : v));
    const j = (idx[0] * reducedShape[1] + idx[1]) * reducedShape[2] + idx[2];
    out.push(mean ? Math.fround(dy[j] / n) : dy[j]);
  }
  return out;
}

describe('Sum and Mean gradients as a broadcast', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const [axis, keepDims] of CASES) {
      for (const mean of [false, true]) {
        it(`${backend}: ${mean ? 'Mean' : 'Sum'} over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''} by definition`, async () => {
          await useBackend(backend);
          const x = tf.tensor(values(60, 81), SHAPE);
          const reduce = (a: tf.Tensor) => (mean ? tf.mean(a, axis, keepDims) : tf.sum(a, axis, keepDims));
          const outShape = reduce(x).shape;
          const dy = values(Math.max(1, outShape.reduce((a, d) => a * d, 1)), 82);
          const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(reduce(a), tf.tensor(dy, outShape))))(x);
          assert.deepEqual(Array.from(dx.dataSync()), expected(axis, dy, mean));
          tf.dispose([x, dx]);
        });
      }
    }
  }

  it('a gradient step on wasm broadcasts with Tile, not a Multiply by ones', async () => {
    await useBackend('wasm');
    const x = tf.tensor(values(60, 83), SHAPE);
    const profile = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mean(a, 1)))(x));
    assert.ok(profile.kernelNames.includes('Tile') && !profile.kernelNames.includes('Multiply'), `${profile.kernelNames}`);
    x.dispose();
  });
});
