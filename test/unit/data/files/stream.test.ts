// Streaming: a file read in small chunks through a seeded shuffle buffer serves every row once per
// epoch, deterministically, while holding at most shuffleBuffer + batchSize rows; stopping early
// frees every tensor; and in-memory ArraySets go through the same async interface unchanged.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { batches, disposeBatch } from '../../../../src/data/batching';
import { loadFiles, StreamSource } from '../../../../src/data/files';
import { arraySource, prefetch } from '../../../../src/data/source';
import type { ArraySet } from '../../../../src/data/types';
import { useBackend } from '../../../helpers/backend';

before(() => useBackend('cpu'));

const ROWS = 60_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-stream-'));
const file = path.join(dir, 'big.csv');
// ≈ 3 MB: an id, two features with quoted text in between, a label missing on every 5th row.
fs.writeFileSync(file, 'id,a,note,b,label\n' + Array.from({ length: ROWS }, (_, i) => `${i},${(i % 97) / 10},"row ${i}, quoted",${i % 13},${i % 5 === 0 ? '' : i % 3}`).join('\n') + '\n');

const cfg = {
  type: 'files',
  inputs: { id: { column: 'id' }, x: { columns: ['a', 'b'] } },
  targets: { label: { column: 'label', type: 'classification', classes: 3 } },
  train: { format: 'csv', path: 'big.csv', streaming: true },
  shuffleBuffer: 500,
  chunkSize: 4096,
};

async function epochIds(src: StreamSource, epoch: number, batchSize = 64): Promise<number[]> {
  const ids: number[] = [];
  for await (const b of src.batches({ batchSize, shuffle: true, seed: 9, epoch })) {
    ids.push(...b.inputs.id.dataSync());
    const id = b.inputs.id.dataSync();
    const m = b.masks.label!.dataSync();
    id.forEach((v, k) => assert.equal(m[k], v % 5 === 0 ? 0 : 1, `mask of row ${v}`));
    disposeBatch(b);
  }
  return ids;
}

describe('streamed files', () => {
  it('serves every row once per epoch, holding at most shuffleBuffer + batchSize rows', async () => {
    const bundle = await loadFiles(cfg, { seed: 9, specDir: dir });
    const src = bundle.sources!.train as StreamSource;
    assert.ok(src instanceof StreamSource);
    assert.equal(src.size, ROWS);
    const ids = await epochIds(src, 1);
    assert.equal(ids.length, ROWS);
    assert.equal(new Set(ids).size, ROWS);
    assert.ok(src.stats.maxRowsHeld <= 500 + 64, `held ${src.stats.maxRowsHeld} rows`);
    assert.ok(src.stats.maxRowsHeld >= 500, 'the buffer was used');
    // Shuffled: far from file order, but only locally (a buffer, not a full permutation).
    const displaced = ids.filter((v, k) => v !== k).length;
    assert.ok(displaced > ROWS / 2, `${displaced} rows moved`);
  });

  it('is deterministic per (seed, epoch) and differs between epochs', async () => {
    const src = (await loadFiles(cfg, { seed: 9, specDir: dir })).sources!.train as StreamSource;
    const a = await epochIds(src, 2, 128);
    const b = await epochIds(src, 2, 128);
    const c = await epochIds(src, 3, 128);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('stopping early closes the file and leaves no tensors behind', async () => {
    const src = (await loadFiles(cfg, { seed: 9, specDir: dir })).sources!.train;
    const before = tf.memory().numTensors;
    let n = 0;
    for await (const b of src.batches({ batchSize: 32, shuffle: true, seed: 1, epoch: 1 })) {
      disposeBatch(b);
      if (++n === 5) break;
    }
    assert.equal(n, 5);
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('batch sources', () => {
  const set: ArraySet = {
    size: 10,
    inputs: { x: { data: Float32Array.from({ length: 10 }, (_, i) => i), shape: [] } },
    targets: { y: { data: Int32Array.from({ length: 10 }, (_, i) => i % 2), shape: [] } },
  };

  it('the ArraySet adapter yields exactly the batches of batches()', async () => {
    const opts = { batchSize: 3, shuffle: true, seed: 4, epoch: 2 };
    const want = [...batches(set, opts)].map((b) => {
      const v = [...b.inputs.x.dataSync()];
      disposeBatch(b);
      return v;
    });
    const got: number[][] = [];
    for await (const b of arraySource(set).batches(opts)) {
      got.push([...b.inputs.x.dataSync()]);
      disposeBatch(b);
    }
    assert.deepEqual(got, want);
  });

  it('prefetch asks for the next batch before handing out the current one, and frees it on early exit', async () => {
    const log: string[] = [];
    async function* producer() {
      for (let i = 0; i < 4; i++) {
        log.push(`make ${i}`);
        yield { size: 1, inputs: { x: tf.scalar(i) }, targets: {}, masks: {} };
      }
    }
    const before = tf.memory().numTensors;
    for await (const b of prefetch(producer())) {
      log.push(`use ${b.inputs.x.dataSync()[0]}`);
      disposeBatch(b);
      if (log.length > 3) break;
    }
    assert.deepEqual(log, ['make 0', 'make 1', 'use 0', 'make 2', 'use 1']);
    assert.equal(tf.memory().numTensors, before);
  });
});
