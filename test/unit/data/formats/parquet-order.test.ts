// The read order of a streamed parquet file: each shuffled epoch reads the row groups in a new seeded
// order, `interleave` of them at once with their rows mixed, so an epoch is a permutation of the training
// rows that starts in several row groups; file order without shuffling; memory bounded by the open row
// groups plus the shuffle buffer; and the hold-out (testFraction, validation) the same rows in any order.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../../src/data/batching';
import { loadFiles, StreamSource } from '../../../../src/data/files';
import { interleaveStats } from '../../../../src/data/formats/interleave';
import { readRecords } from '../../../../src/data/formats/readers';
import { mixSeed } from '../../../../src/util/random';
import { useBackend } from '../../../helpers/backend';
import { columns, writeParquet } from '../../../helpers/columnar-files';

before(() => useBackend('cpu'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-pqorder-'));
const file = path.join(dir, 'rows.parquet');
const N = 3000;
const GROUP = 250; // 12 row groups; x = row / 2, so a row's file index is 2x
writeParquet(file, columns(N), GROUP);

const cfg = (extra: Record<string, unknown> = {}) => ({
  type: 'files',
  inputs: { x: { column: 'x' } },
  targets: { label: { column: 'label', type: 'classification', classes: 3 } },
  train: { format: 'parquet', path: 'rows.parquet', streaming: true },
  shuffleBuffer: 20,
  interleave: 3,
  testFraction: 0.1,
  ...extra,
});

/** The file rows of one epoch of a source, in the order its batches deliver them. */
async function epochRows(src: StreamSource, shuffle: boolean, seed: number, epoch: number): Promise<number[]> {
  const rows: number[] = [];
  for await (const b of src.batches({ batchSize: 16, shuffle, seed, epoch })) {
    for (const v of b.inputs.x.dataSync()) rows.push(v * 2);
    disposeBatch(b);
  }
  return rows;
}

/** The file rows the reader yields, in order (order: the epoch seed; undefined: file order). */
async function readOrder(order: number | undefined, interleave: number): Promise<number[]> {
  const out: number[] = [];
  for await (const r of readRecords({ format: 'parquet', paths: [file], chunkSize: 1024, needed: ['x'], order, interleave }, () => undefined)) out.push((r.fields.x as number) * 2);
  return out;
}

const sorted = (a: number[]) => [...a].sort((p, q) => p - q);

describe('parquet: shuffled read order', () => {
  it('without a seed reads in file order; with one, a permutation of every row whose first rows come from `interleave` row groups', async () => {
    assert.deepEqual(await readOrder(undefined, 3), Array.from({ length: N }, (_, i) => i));
    const a = await readOrder(11, 3);
    assert.deepEqual(sorted(a), Array.from({ length: N }, (_, i) => i));
    const groupsOf = (rows: number[]) => new Set(rows.map((r) => Math.floor(r / GROUP)));
    assert.equal(groupsOf(a.slice(0, 60)).size, 3, 'the first 60 rows mix the three open row groups');
    assert.notDeepEqual([...groupsOf(a.slice(0, 60))].sort(), [0, 1, 2], 'the row groups come in a seeded order, not file order');
    // within a row group the rows are permuted: the first 60 rows are not consecutive runs
    const ascending = a.slice(1, 60).filter((r, i) => r === a[i] + 1).length;
    assert.ok(ascending < 5, `${ascending} of 59 steps go to the next row of the file`);
    assert.deepEqual(await readOrder(11, 3), a, 'the same seed gives the same order');
    assert.notDeepEqual(await readOrder(12, 3), a);
  });

  it('holds at most `interleave` decoded row groups', async () => {
    interleaveStats.maxRowsOpen = 0;
    await readOrder(5, 3);
    assert.equal(interleaveStats.maxRowsOpen, 3 * GROUP);
    interleaveStats.maxRowsOpen = 0;
    await readOrder(undefined, 3);
    assert.equal(interleaveStats.maxRowsOpen, GROUP, 'file order decodes one row group at a time');
  });
});

describe('parquet: streamed epochs', () => {
  it('an epoch is a permutation of the training rows, a new order every epoch, repeated under the seed; rows held ≤ buffer + batch', async () => {
    const b = await loadFiles(cfg(), { seed: 4, specDir: dir, validation: 0.1 });
    const src = b.sources!.train as StreamSource;
    const inFileOrder = await epochRows(src, false, 4, 0);
    assert.deepEqual(inFileOrder, sorted(inFileOrder), 'unshuffled: file order');
    const e0 = await epochRows(src, true, 4, 0);
    const e1 = await epochRows(src, true, 4, 1);
    assert.deepEqual(sorted(e0), inFileOrder);
    assert.deepEqual(sorted(e1), inFileOrder);
    assert.notDeepEqual(e0, e1);
    assert.deepEqual(await epochRows(src, true, 4, 0), e0);
    const firstGroups = new Set(e0.slice(0, 32).map((r) => Math.floor(r / GROUP)));
    assert.ok(firstGroups.size >= 3, `the first two batches come from ${firstGroups.size} row groups`);
    assert.ok(src.stats.maxRowsHeld <= 20 + 16, `held ${src.stats.maxRowsHeld}`);
  });

  it('test and validation rows are drawn by file row, the same under any read order', async () => {
    const b = await loadFiles(cfg(), { seed: 4, specDir: dir, validation: 0.1 });
    // The per-row draws computed here from the seed hash of the file row: test first, then val.
    const u = (salt: number, i: number) => mixSeed(4, salt, i) / 4294967296;
    const all = Array.from({ length: N }, (_, i) => i);
    const test = all.filter((i) => u(0x7e5, i) < 0.1);
    const val = all.filter((i) => !test.includes(i) && u(0x7a1, i) < 0.1);
    const train = all.filter((i) => !test.includes(i) && !val.includes(i));
    const s = b.sources!;
    for (const [name, want] of [['train', train], ['val', val], ['test', test]] as const) {
      const src = s[name] as StreamSource;
      assert.equal(src.size, want.length, name);
      for (const [shuffle, epoch] of [[false, 0], [true, 0], [true, 1]] as const) assert.deepEqual(sorted(await epochRows(src, shuffle, 9, epoch)), want, `${name}, shuffle ${shuffle}, epoch ${epoch}`);
    }
  });
});
