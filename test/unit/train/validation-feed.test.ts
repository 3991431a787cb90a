// The validation stream of a look-ahead strategy (src/train/validation-feed.ts): a batch only on due
// steps, a batch given back is served again, passes cycle, and a feed started at step s (a resumed
// run) serves exactly what a feed running from step 0 serves from s on.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { disposeBatch, type Batch } from '../../../src/data/batching';
import type { ArraySet } from '../../../src/data/types';
import { ValidationFeed } from '../../../src/train/validation-feed';
import { useBackend } from '../../helpers/backend';

/** 5 rows whose input is the row index: a batch names the rows it holds. */
const SET: ArraySet = { size: 5, inputs: { x: { data: Float32Array.from([0, 1, 2, 3, 4]), shape: [] } }, targets: { y: { data: Int32Array.from([0, 1, 0, 1, 0]), shape: [] } } };
const rows = (b: Batch) => Array.from(b.inputs.x.dataSync());

/** The rows served at each step of `steps` (null: no batch), disposing each batch. */
async function serve(feed: ValidationFeed, steps: number[]): Promise<Array<number[] | null>> {
  const out: Array<number[] | null> = [];
  for (const s of steps) {
    const b = await feed.batchFor(s);
    out.push(b ? rows(b) : null);
    if (b) disposeBatch(b);
  }
  return out;
}

describe('validation feed', () => {
  before(() => useBackend('cpu'));

  it('serves a batch only on due steps; passes of 2 + 2 + 1 rows cycle, each a permutation of the split', async () => {
    const feed = new ValidationFeed(SET, 2, 7, 2, 0);
    const got = await serve(feed, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await feed.close();
    assert.deepEqual(got.map((g) => g === null), [false, true, false, true, false, true, false, true, false, true, false, true]);
    const served = got.filter((g): g is number[] => g !== null);
    assert.deepEqual(served.map((g) => g.length), [2, 2, 1, 2, 2, 1]);
    for (const pass of [served.slice(0, 3), served.slice(3, 6)]) assert.deepEqual(pass.flat().sort(), [0, 1, 2, 3, 4]);
  });

  it('a batch given back is served again; a feed started at step 7 (a resumed run) continues the stream of one started at 0', async () => {
    const a = new ValidationFeed(SET, 2, 7, 1, 0);
    const first = await a.batchFor(0);
    a.giveBack(first as Batch);
    const again = await a.batchFor(0);
    assert.equal(again, first);
    disposeBatch(again as Batch);
    const rest = await serve(a, [1, 2, 3, 4, 5, 6, 7, 8]);
    await a.close();
    // 3 batches a pass: step 7 is the second batch of the third pass (jump two passes, skip one batch).
    const b = new ValidationFeed(SET, 2, 7, 1, 7);
    const resumed = await serve(b, [7, 8]);
    await b.close();
    assert.deepEqual(resumed, rest.slice(6));
  });
});
