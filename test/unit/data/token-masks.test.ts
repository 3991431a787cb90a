// Per-token masks (TargetColumn.mask with one value per target element): batches carry them as
// [b, steps] tensors aligned with the targets; subset and validation splits keep them per row.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { batches, disposeBatch } from '../../../src/data/batching';
import { splitValidation, subset } from '../../../src/data/splits';
import type { ArraySet } from '../../../src/data/types';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

const S = 4;
/** Row i has i % S + 1 real tokens; tag of token j of row i is 10·i + j; per-row mask on `intent`. */
function makeSet(n: number): ArraySet {
  const len = (i: number) => (i % S) + 1;
  return {
    size: n,
    inputs: { tokens: { data: Int32Array.from({ length: n * S }, (_, p) => (p % S < len(Math.floor(p / S)) ? 100 + p : 0)), shape: [S] } },
    targets: {
      slots: {
        data: Int32Array.from({ length: n * S }, (_, p) => 10 * Math.floor(p / S) + (p % S)),
        shape: [S],
        mask: Uint8Array.from({ length: n * S }, (_, p) => (p % S < len(Math.floor(p / S)) ? 1 : 0)),
      },
      intent: { data: Int32Array.from({ length: n }, (_, i) => i), shape: [], mask: Uint8Array.from({ length: n }, (_, i) => (i % 2 ? 0 : 1)) },
    },
  };
}

/** Each batch row's mask must be its own row's: the tags identify the row. */
function checkBatchRows(tags: Int32Array, mask: Float32Array, b: number) {
  for (let k = 0; k < b; k++) {
    const row = Math.floor(tags[k * S] / 10);
    for (let j = 0; j < S; j++) {
      assert.equal(tags[k * S + j], 10 * row + j);
      assert.equal(mask[k * S + j], j < (row % S) + 1 ? 1 : 0, `row ${row} token ${j}`);
    }
  }
}

describe('per-token masks', () => {
  it('batches() yields [b, steps] masks aligned with the shuffled rows, per-row masks stay [b]', () => {
    const set = makeSet(11);
    const before = tf.memory().numTensors;
    let rows = 0;
    for (const b of batches(set, { batchSize: 4, shuffle: true, seed: 3, epoch: 2 })) {
      assert.deepEqual(b.masks.slots!.shape, [b.size, S]);
      assert.equal(b.masks.slots!.dtype, 'float32');
      assert.deepEqual(b.targets.slots.shape, [b.size, S]);
      assert.deepEqual(b.masks.intent!.shape, [b.size]);
      checkBatchRows(b.targets.slots.dataSync() as Int32Array, b.masks.slots!.dataSync() as Float32Array, b.size);
      const ids = b.targets.intent.dataSync();
      b.masks.intent!.dataSync().forEach((m, k) => assert.equal(m, ids[k] % 2 ? 0 : 1));
      rows += b.size;
      disposeBatch(b);
    }
    assert.equal(rows, 11);
    assert.equal(tf.memory().numTensors, before);
  });

  it('subset() and splitValidation() pick each row\'s whole per-token mask', () => {
    const set = makeSet(10);
    const s = subset(set, [7, 2, 5]);
    assert.equal(s.targets.slots.mask!.length, 3 * S);
    checkBatchRows(s.targets.slots.data as Int32Array, Float32Array.from(s.targets.slots.mask!), 3);
    assert.deepEqual([...s.targets.intent.mask!], [0, 1, 0]);
    const { train, val } = splitValidation(set, 0.3, 1);
    for (const part of [train, val]) {
      assert.equal(part.targets.slots.mask!.length, part.size * S);
      checkBatchRows(part.targets.slots.data as Int32Array, Float32Array.from(part.targets.slots.mask!), part.size);
    }
  });
});
