// Tests mtl's copy-free WASM Identity and same-dtype Cast: values, a clone outliving its source
// (and the reverse), variables assigned after a clone keep the clone's old value, conversions
// between dtypes still convert, gradients through them, and no leaked tensors or heap buffers.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { identity } from '../../../src/backend/wasm-identity';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak } from './wasm-compare';

describe('wasm Identity and Cast without a copy', () => {
  before(async () => {
    await useBackend('wasm');
  });

  it('replaces Identity', () => {
    assert.equal(tf.getKernel('Identity', 'wasm')?.kernelFunc, identity);
  });

  it('a clone keeps its values after the source is disposed, and the source after the clone is', () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.clone(a);
    const c = tf.cast(a, 'float32');
    a.dispose();
    assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(b.shape, [2, 3]);
    b.dispose();
    assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3, 4, 5, 6]);
    c.dispose();
  });

  it('a variable assigned after being cloned leaves the clone at the old value', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    assert.deepEqual(Array.from(snapshot.dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(v.dataSync()), [7, 8, 9]);
    tf.dispose([v, snapshot]);
  });

  it('casts between dtypes still convert (int32 → float32 → int32 truncates, bool → float32, string clone)', () => {
    const i = tf.tensor1d([1, -2, 3], 'int32');
    const f = tf.cast(i, 'float32');
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(Array.from(f.dataSync()), [1, -2, 3]);
    const t = tf.cast(tf.tensor1d([1.7, -2.5]), 'int32');
    assert.deepEqual(Array.from(t.dataSync()), [1, -2]);
    const b = tf.cast(tf.tensor1d([true, false, true], 'bool'), 'float32');
    assert.deepEqual(Array.from(b.dataSync()), [1, 0, 1]);
    const s = tf.clone(tf.tensor1d(['x', 'yz'], 'string'));
    assert.deepEqual(s.dataSync(), ['x', 'yz']);
    tf.dispose([i, f, t, b, s]);
  });

  it('gradients through relu (Cast of Step) and clone: hand values', () => {
    const x = tf.tensor1d([-1, 2, 0.5, -3]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.clone(a)), tf.tensor1d([1, 2, 3, 4]))))(x);
    assert.deepEqual(Array.from(g.dataSync()), [0, 2, 3, 0]);
    tf.dispose([x, g]);
  });

  it('does not leak tensors or wasm memory', async () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    await assertNoLeak(() => tf.dispose([tf.clone(x), tf.cast(x, 'float32'), tf.cast(x, 'int32'), tf.grad((a: tf.Tensor) => tf.sum(tf.relu(a)))(x)]));
    x.dispose();
  });
});
