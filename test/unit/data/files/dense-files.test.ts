// Per-pixel targets in your own files (targets.<t>.shape): a streamed JSONL file's nested arrays reach
// the batch as hand-written, a row of the wrong size is a data error at its file and row, and a
// declared grid the head does not produce is a spec error at the head.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../../src/data/batching';
import { loadFiles } from '../../../../src/data/files';
import { MtlError } from '../../../../src/errors';
import { useBackend } from '../../../helpers/backend';

before(() => useBackend('cpu'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-dense-files-'));
// Row i: a 2×3 grid; depth = 10·i + pixel index, seg = pixel index mod 2 (row 1's label missing).
const grid = (f: (k: number) => number) => [0, 1].map((r) => [0, 1, 2].map((c) => f(r * 3 + c)));
const rows = [0, 1, 2].map((i) => ({ x: i, depth: grid((k) => 10 * i + k), seg: i === 1 ? null : grid((k) => k % 2) }));
const write = (name: string, rs: unknown[]) => fs.writeFileSync(path.join(dir, name), rs.map((r) => JSON.stringify(r)).join('\n') + '\n');
write('ok.jsonl', rows);
const cfg = (file: string, streaming = true) => ({
  type: 'files',
  inputs: { x: { field: 'x' } },
  targets: { depth: { field: 'depth', type: 'regression', shape: [2, 3] }, seg: { field: 'seg', type: 'classification', classes: 2, shape: [2, 3] } },
  train: { format: 'jsonl', path: file, streaming },
});

describe('files: per-pixel targets (shape)', () => {
  it('a streamed file serves the grids in row-major order, a missing label masks its row', async () => {
    const b = await loadFiles(cfg('ok.jsonl'), { seed: 1, specDir: dir });
    for await (const batch of b.sources!.train.batches({ batchSize: 3, shuffle: false, seed: 1, epoch: 1 })) {
      assert.deepEqual(batch.targets.depth.shape, [3, 2, 3]);
      assert.deepEqual(Array.from(batch.targets.depth.dataSync()), [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25]);
      assert.deepEqual(Array.from(batch.targets.seg.dataSync()), [0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1]);
      assert.deepEqual(Array.from(batch.masks.seg!.dataSync()), [1, 0, 1]);
      disposeBatch(batch);
    }
  });

  it('loaded instead of streamed: the same grids as [rows, 2, 3] columns', async () => {
    const b = await loadFiles(cfg('ok.jsonl', false), { seed: 1, specDir: dir });
    assert.deepEqual(b.train.targets.depth.shape, [2, 3]);
    assert.deepEqual(Array.from(b.train.targets.depth.data), [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25]);
    assert.deepEqual(Array.from(b.train.targets.seg.mask!), [1, 0, 1]);
  });

  it('a row of the wrong size, or a class grid with a hole, is a data error at its file and row', async () => {
    const bad: Array<Record<string, unknown>> = rows.map((r) => ({ ...r }));
    bad[1] = { ...bad[1], depth: [[1, 2], [3, 4]] };
    bad[2] = { ...bad[2], seg: [0, 1, 0, 1, 0, 1, 0] };
    bad.push({ x: 3, depth: grid((k) => k), seg: [[0, 1, 0], [1, null, 1]] });
    write('bad.jsonl', bad);
    const file = path.join(dir, 'bad.jsonl');
    await assert.rejects(loadFiles(cfg('bad.jsonl'), { seed: 1, specDir: dir }), (e: MtlError) => {
      assert.equal(e.kind, 'data');
      assert.deepEqual(e.problems.map((p) => [p.where.file, p.where.line]), [[file, 2], [file, 3], [file, 4]]);
      assert.match(e.problems[0].message, /targets\.depth: "depth" holds 4 values/);
      assert.match(String(e.problems[0].allowed), /^6 \(shape \[2, 3\]/);
      assert.match(e.problems[1].message, /targets\.seg: "seg" holds 7 labels/);
      assert.match(String(e.problems[1].allowed), /^6 \(shape \[2, 3\]/);
      // A hole in a class grid is no label "null" (nor a learnt class): pixel 4 in row-major order.
      assert.match(e.problems[2].message, /targets\.seg: "seg" has no label at pixel 4 \(row-major\)/);
      return true;
    });
  });

  it('shape fits only per-pixel classification and regression targets', async () => {
    const c = cfg('ok.jsonl');
    const wrong = { ...c, targets: { depth: { field: 'depth', type: 'binary', shape: [2, 3] }, seg: { field: 'seg', type: 'classification', classes: 2, shape: [2, 3, 1], dim: 2 } } };
    await assert.rejects(loadFiles(wrong, { seed: 1, specDir: dir }), (e: MtlError) => {
      assert.deepEqual(e.problems.map((p) => p.where.path), ['data.targets.depth.shape', 'data.targets.seg.shape', 'data.targets.seg.shape', 'data.targets.seg.dim']);
      return true;
    });
  });
});
