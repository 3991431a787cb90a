// The `files` data type on the committed fixtures: each format mapped onto inputs and targets,
// fit-on-train state reused for other splits, missing labels as masks, shapes known without reading,
// task-specific sources, and every data error naming its file and line or row.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../../src/data/batching';
import { describeFiles, loadFiles } from '../../../../src/data/files';
import type { ArraySet, DataBundle } from '../../../../src/data/types';
import { MtlError } from '../../../../src/errors';
import { packageRoot } from '../../../../src/util/paths';
import { useBackend } from '../../../helpers/backend';

before(() => useBackend('cpu'));

const FIX = path.join(packageRoot(), 'test/fixtures/data');
const ctx = { seed: 1, specDir: FIX };
const arr = (x: ArrayLike<number>) => Array.from(x, (v) => +v.toFixed(4));

type Cfg = Record<string, unknown>;
const load = (cfg: Cfg, extra: Partial<typeof ctx & { validation: number; state: unknown }> = {}) => loadFiles({ type: 'files', ...cfg }, { ...ctx, ...extra });

describe('files: one fixture per format', () => {
  const table: Array<{ name: string; cfg: Cfg; check: (b: DataBundle) => void }> = [
    {
      name: 'csv: z-scored columns, learnt categories, an empty cell as a missing label',
      cfg: {
        inputs: { x: { columns: ['length', 'width'], normalize: true } },
        targets: { species: { column: 'species', type: 'classification', classes: 3, categories: 'learn' }, size: { column: 'size', type: 'regression' } },
        train: { format: 'csv', path: 'tiny.csv' },
      },
      check: (b) => {
        const x = b.train.inputs.x.data;
        const mean = (j: number) => [0, 1, 2, 3, 4, 5].reduce((s, i) => s + x[2 * i + j], 0) / 6;
        assert.ok(Math.abs(mean(0)) < 1e-6 && Math.abs(mean(1)) < 1e-6);
        assert.deepEqual([...b.train.targets.species.data], [0, 0, 2, 2, 1, 1]);
        assert.deepEqual([...b.train.targets.size.mask!], [1, 0, 1, 1, 1, 0]);
        assert.deepEqual((b.state as { encoders: Record<string, { categories?: string[] }> }).encoders['targets.species'].categories, ['setosa', 'versicolor', 'virginica']);
      },
    },
    {
      name: 'tsv',
      cfg: { inputs: { x: { columns: ['length', 'width'] } }, targets: { size: { column: 'size', type: 'regression' } }, train: { format: 'tsv', path: 'tiny.tsv' } },
      check: (b) => assert.deepEqual(arr(b.train.inputs.x.data), [5.1, 3.5, 6.3, 3.3, 6, 2.2]),
    },
    {
      name: 'jsonl: token ids with OOV and padding, a list field, null and absent labels',
      cfg: {
        inputs: { text: { field: 'text', encoding: 'tokens', length: 4, vocabulary: 5 }, f: { field: 'features', shape: [2] } },
        targets: { price: { field: 'price', type: 'regression' } },
        train: { format: 'jsonl', path: 'tiny.jsonl' },
      },
      check: (b) => {
        // Counts: red 3, car 2, shirt 2, the 2, … → the three most frequent (ties alphabetical) get ids 2..4.
        const state = (b.state as { encoders: Record<string, { vocabulary: string[] }> }).encoders['inputs.text'];
        assert.deepEqual(state.vocabulary, ['red', 'car', 'shirt']);
        assert.deepEqual([...b.train.inputs.text.data].slice(0, 8), [1, 4, 1, 2, 1, 1, 3, 0]);
        assert.deepEqual([...b.train.targets.price.mask!], [1, 0, 1, 0]);
        assert.deepEqual(arr(b.train.inputs.f.data).slice(0, 4), [0.5, 1, 1.5, -1]);
      },
    },
    {
      name: 'conll: token ids, a sentence label from "# label = …", tags with a per-token mask',
      cfg: {
        inputs: { tokens: { field: 'token', encoding: 'tokens', length: 3 } },
        targets: { intent: { field: 'label', type: 'classification', classes: 2, categories: 'learn' }, tags: { field: 'tag', type: 'classification', classes: 4, categories: 'learn', length: 3 } },
        train: { format: 'conll', path: 'tiny.conll' },
      },
      check: (b) => {
        assert.equal(b.train.size, 3);
        assert.deepEqual([...b.train.targets.intent.data], [0, 1, 0]);
        assert.deepEqual(b.train.targets.tags.shape, [3]);
        assert.deepEqual([...b.train.targets.tags.mask!], [1, 1, 0, 1, 1, 1, 1, 1, 0]);
        assert.deepEqual([...b.train.targets.tags.data], [3, 1, 0, 3, 3, 0, 3, 1, 0]); // B-LOC, B-PER, I-LOC, O
        assert.equal(b.train.inputs.tokens.data[2], 0);
      },
    },
    {
      name: 'idx: one file per field, class indices',
      cfg: { inputs: { image: { field: 'image', shape: [2, 3] } }, targets: { label: { field: 'label', type: 'classification', classes: 3 } }, train: { format: 'idx', files: { image: 'tiny-images.idx', label: 'tiny-labels.idx' } } },
      check: (b) => {
        assert.deepEqual(b.train.inputs.image.shape, [2, 3]);
        assert.deepEqual(arr(b.train.inputs.image.data.subarray(6, 12)), [60, 70, 80, 90, 100, 110]);
        assert.deepEqual([...b.train.targets.label.data], [0, 1, 2, 1]);
      },
    },
    {
      name: 'npy: float32 features, int32 labels, uint8 multilabel columns',
      cfg: { inputs: { x: { field: 'x', shape: [3] } }, targets: { y: { field: 'y', type: 'classification', classes: 3 }, m: { field: 'm', type: 'multilabel', classes: 2 } }, train: { format: 'npy', files: { x: 'tiny-x.npy', y: 'tiny-y.npy', m: 'tiny-m.npy' } } },
      check: (b) => {
        assert.deepEqual([...b.train.targets.y.data], [2, 0, 1, 2]);
        assert.deepEqual(arr(b.train.inputs.x.data.subarray(9)), [10, 11, 12]);
        assert.deepEqual([...b.train.targets.m.data], [0, 1, 1, 0, 1, 1, 0, 0]);
      },
    },
    {
      name: 'images: a folder per class, resized and greyed',
      cfg: { inputs: { img: { field: 'file', encoding: 'image', height: 2, width: 2, channels: 1 } }, targets: { label: { field: 'label', type: 'classification', classes: 2, categories: 'learn' } }, train: { format: 'images', path: 'images' } },
      check: (b) => {
        assert.deepEqual(b.train.inputs.img.shape, [2, 2, 1]);
        assert.deepEqual(arr(b.train.inputs.img.data.subarray(8, 12)), [0.7843, 0.7843, 0.7843, 0.7843]);
        assert.deepEqual([...b.train.targets.label.data], [0, 0, 1, 1, 1]);
      },
    },
    {
      name: 'images: a list file with a per-task label column (one missing)',
      cfg: { inputs: { img: { field: 'file', encoding: 'image', height: 3, width: 3, channels: 3 } }, targets: { bright: { column: 'bright', type: 'binary' } }, train: { format: 'images', path: 'images/list.csv' } },
      check: (b) => {
        assert.deepEqual(b.train.inputs.img.shape, [3, 3, 3]);
        assert.deepEqual([...b.train.targets.bright.mask!], [1, 1, 0]);
      },
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const b = await load(c.cfg);
      assert.equal(b.sources, undefined, 'small files stay in memory');
      c.check(b);
    });
  }
});

describe('files: fit on train, apply everywhere', () => {
  const cfg = {
    inputs: { x: { columns: ['length', 'width'], normalize: true } },
    targets: { species: { column: 'species', type: 'classification', classes: 3, categories: 'learn' } },
    train: { format: 'csv', path: 'tiny.csv' },
    test: { format: 'tsv', path: 'tiny.tsv' },
  };

  it('encodes the test split with the training statistics, and a saved state reproduces it', async () => {
    const a = await load(cfg);
    const st = (a.state as { encoders: Record<string, { mean: number[]; std: number[] }> }).encoders['inputs.x'];
    assert.ok(Math.abs(a.test!.inputs.x.data[0] - (5.1 - st.mean[0]) / st.std[0]) < 1e-5);
    const b = await load(cfg, { state: JSON.parse(JSON.stringify(a.state)) });
    assert.deepEqual([...b.test!.inputs.x.data], [...a.test!.inputs.x.data]);
    assert.deepEqual([...b.test!.targets.species.data], [0, 2, 1]);
  });

  it('holds out a seeded fraction of train for validation before fitting', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-files-holdout-'));
    fs.writeFileSync(path.join(dir, 'h.csv'), 'length,width,species\n' + Array.from({ length: 40 }, (_, i) => `${i},${i % 7},${i % 2 ? 'a' : 'b'}`).join('\n') + '\n');
    const c = { ...cfg, train: { format: 'csv', path: path.join(dir, 'h.csv') }, test: undefined, targets: { species: { column: 'species', type: 'classification', classes: 2, categories: 'learn' } } };
    const a = await load(c, { validation: 0.25 });
    const b = await load(c, { validation: 0.25 });
    assert.equal(a.train.size + a.val!.size, 40);
    assert.ok(a.val!.size >= 4 && a.val!.size <= 16, `val ${a.val!.size}`);
    assert.deepEqual([...a.val!.inputs.x.data], [...b.val!.inputs.x.data]);
    const st = (a.state as { encoders: Record<string, { count: number; mean: number[] }> }).encoders['inputs.x'];
    assert.equal(st.count, a.train.size, 'statistics come from the training rows only');
    // The held-out rows' raw lengths are not part of the training mean.
    const rawTrainMean = Array.from({ length: 40 }, (_, i) => i).reduce((s, i) => s + i, 0) / 40;
    assert.notEqual(st.mean[0], rawTrainMean);
  });

  it('describes shapes without reading any file', () => {
    const d = describeFiles({
      type: 'files',
      inputs: { x: { columns: ['a', 'b', 'c'] }, t: { field: 'text', encoding: 'tokens', length: 7 }, i: { field: 'f', encoding: 'image', height: 5, width: 6, channels: 1 } },
      targets: { c: { column: 'c', type: 'classification', classes: 4 }, m: { columns: ['p', 'q'], type: 'multilabel' }, tags: { field: 'tag', type: 'classification', classes: 9, length: 7 } },
      train: { format: 'csv', path: 'does/not/exist.csv' },
      test: { format: 'csv', path: 'nor/this.csv' },
    });
    assert.deepEqual(d.inputs, { x: { shape: [3], dtype: 'float32' }, t: { shape: [7], dtype: 'int32', ids: 10000, idsFrom: 'data.inputs.t.vocabulary' }, i: { shape: [5, 6, 1], dtype: 'float32' } });
    assert.deepEqual(d.targets, { c: { type: 'classification', classes: 4 }, m: { type: 'multilabel', dim: 2 }, tags: { type: 'classification', classes: 9, steps: 7 } });
    assert.deepEqual(d.splits, ['train', 'test']);
  });
});

describe('files: data errors name the file and the line or row', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-files-err-'));
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const base = (file: string, targets: Cfg = { k: { column: 'k', type: 'classification', classes: 2 } }) => ({ inputs: { x: { columns: ['a', 'b'] } }, targets, train: { format: 'csv', path: file } });
  const cases: Array<{ name: string; cfg: () => Cfg; where: { file?: string; line?: number; row?: number }; path?: string; re: RegExp }> = [
    {
      name: 'missing column',
      cfg: () => ({ inputs: { x: { columns: ['alpha', 'beta'] } }, targets: { k: { column: 'k', type: 'regression' } }, train: { format: 'csv', path: write('c1.csv', 'alpha,betta,k\n1,2,0\n') } }),
      where: { file: path.join(dir, 'c1.csv'), line: 1 },
      path: 'data.inputs.x',
      re: /no column "beta" in the header.*did you mean "betta"/,
    },
    { name: 'ragged row', cfg: () => base(write('c2.csv', 'a,b,k\n1,2,0\n1,2\n')), where: { file: path.join(dir, 'c2.csv'), line: 3 }, re: /ragged row: 2 fields/ },
    { name: 'non-numeric value', cfg: () => base(write('c3.csv', 'a,b,k\n1,2,0\n1,abc,1\n')), where: { file: path.join(dir, 'c3.csv'), line: 3 }, re: /non-numeric value.*received "abc"/ },
    { name: 'label outside the classes', cfg: () => base(write('c4.csv', 'a,b,k\n1,2,0\n1,2,5\n')), where: { file: path.join(dir, 'c4.csv'), line: 3 }, re: /label "5" is not a class index.*0\.\.1/ },
    { name: 'binary label not 0/1', cfg: () => base(write('c5.csv', 'a,b,k\n1,2,0\n1,2,2\n'), { k: { column: 'k', type: 'binary' } }), where: { file: path.join(dir, 'c5.csv'), line: 3 }, re: /label 2 .* is not 0 or 1/ },
    { name: 'wrong shape', cfg: () => ({ inputs: { f: { field: 'f', shape: [3] } }, targets: { k: { field: 'k', type: 'regression' } }, train: { format: 'jsonl', path: write('j.jsonl', '{"f": [1, 2, 3], "k": 1}\n{"f": [1, 2], "k": 2}\n') } }), where: { file: path.join(dir, 'j.jsonl'), line: 2 }, re: /holds 2 values.*shape \[3\]/ },
    { name: 'invalid JSON', cfg: () => ({ inputs: { f: { field: 'f' } }, targets: { k: { field: 'k', type: 'regression' } }, train: { format: 'jsonl', path: write('j2.jsonl', '{"f": 1, "k": 1}\n{"f": 1,\n') } }), where: { file: path.join(dir, 'j2.jsonl'), line: 2 }, re: /not valid JSON/ },
    {
      name: 'image that fails to decode',
      cfg: () => ({ inputs: { img: { field: 'file', encoding: 'image', height: 2, width: 2 } }, targets: { b: { column: 'bright', type: 'binary' } }, train: { format: 'images', path: path.join(FIX, 'images/broken.csv') } }),
      where: { file: path.join(FIX, 'images/broken.csv'), line: 3 },
      re: /image does not decode/,
    },
    {
      name: 'label unseen in training (test split)',
      cfg: () => ({ inputs: { x: { columns: ['a'] } }, targets: { k: { column: 'k', type: 'classification', classes: 3, categories: 'learn' } }, train: { format: 'csv', path: write('t.csv', 'a,k\n1,cat\n2,dog\n') }, test: { format: 'csv', path: write('u.csv', 'a,k\n1,cat\n2,cow\n') } }),
      where: { file: path.join(dir, 'u.csv'), line: 3 },
      re: /1 label of test is not in the training data: "cow" ×1 \(first at line 3\)/,
    },
    {
      name: 'too many learnt classes',
      cfg: () => ({ inputs: { x: { columns: ['a'] } }, targets: { k: { column: 'k', type: 'classification', classes: 2, categories: 'learn' } }, train: { format: 'csv', path: write('v.csv', 'a,k\n1,a\n2,b\n3,c\n') } }),
      where: {},
      re: /3 distinct labels in the training data, but classes is 2/,
    },
    { name: 'npy with the wrong number of rows', cfg: () => ({ inputs: { x: { field: 'x', shape: [3] } }, targets: { y: { field: 'y', type: 'regression' } }, train: { format: 'npy', files: { x: path.join(FIX, 'tiny-x.npy'), y: path.join(FIX, 'tiny-labels.idx') } } }), where: { file: path.join(FIX, 'tiny-labels.idx') }, re: /not a \.npy file/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await assert.rejects(load(c.cfg()), (e: unknown) => {
        assert.ok(e instanceof MtlError && e.kind === 'data', String(e));
        assert.equal(e.exitCode, 3);
        assert.match(e.message, c.re);
        const p = e.problems.find((x) => c.re.test(`${x.message} (received ${JSON.stringify(x.received)}; allowed: ${x.allowed}; ${x.hint})`)) ?? e.problems[0];
        const w = { ...p.where };
        if (c.path !== undefined) assert.equal(w.path, c.path);
        delete w.path;
        assert.deepEqual(w, c.where);
        return true;
      });
    });
  }
});

describe('files: task-specific datasets', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-files-tasks-'));
  fs.writeFileSync(path.join(dir, 'a.csv'), 'x,y\n' + Array.from({ length: 10 }, (_, i) => `${i},${i % 2}`).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'b.csv'), 'x,y\n' + Array.from({ length: 4 }, (_, i) => `${100 + i},${i * 1.5}`).join('\n') + '\n');
  const cfg = (sampling: string) => ({
    inputs: { x: { column: 'x' } },
    tasks: {
      a: { target: { column: 'y', type: 'classification', classes: 2 }, train: { format: 'csv', path: 'a.csv' } },
      b: { target: { column: 'y', type: 'regression' }, train: { format: 'csv', path: 'b.csv' } },
    },
    sampling,
  });

  async function epoch(sampling: string): Promise<Array<{ task: string; xs: number[] }>> {
    const b = await loadFiles({ type: 'files', ...cfg(sampling) }, { seed: 3, specDir: dir });
    assert.ok(b.sources, 'task-specific data is served as a batch source');
    const out: Array<{ task: string; xs: number[] }> = [];
    for await (const batch of b.sources.train.batches({ batchSize: 4, shuffle: true, seed: 3, epoch: 1 })) {
      const ma = batch.masks.a!.dataSync();
      const mb = batch.masks.b!.dataSync();
      // Exactly one task is labelled in each batch; the other's mask is all zeros.
      assert.ok((ma.every((v) => v === 1) && mb.every((v) => v === 0)) || (ma.every((v) => v === 0) && mb.every((v) => v === 1)));
      assert.deepEqual(batch.targets.a.shape, [batch.size]);
      assert.deepEqual(batch.targets.b.shape, [batch.size, 1]);
      out.push({ task: ma[0] ? 'a' : 'b', xs: [...batch.inputs.x.dataSync()] });
      disposeBatch(batch);
    }
    return out;
  }

  it('round-robin alternates tasks until the largest has been seen once', async () => {
    const before = tf.memory().numTensors;
    const e = await epoch('round-robin');
    assert.deepEqual(e.map((x) => x.task), ['a', 'b', 'a', 'b', 'a', 'b']);
    assert.deepEqual(e.filter((x) => x.task === 'a').flatMap((x) => x.xs).sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('proportional sampling serves every row of every task once per epoch', async () => {
    const e = await epoch('proportional');
    assert.deepEqual(e.flatMap((x) => x.xs).sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 102, 103]);
    assert.deepEqual(await epoch('proportional'), e, 'seeded');
  });

  it('all (the default): every batch holds batchSize rows of each task; ⌈10/4⌉ = 3 steps; every row of the largest task once', async () => {
    const before = tf.memory().numTensors;
    const b = await loadFiles({ type: 'files', ...cfg('all') }, { seed: 3, specDir: dir });
    const { sampling, ...noSampling } = cfg('all');
    void sampling;
    const d = await loadFiles({ type: 'files', ...noSampling }, { seed: 3, specDir: dir });
    assert.ok(b.sources && d.sources);
    const read = async (src: typeof b.sources.train) => {
      const out: Array<{ a: number[]; b: number[] }> = [];
      for await (const batch of src.batches({ batchSize: 4, shuffle: true, seed: 3, epoch: 1 })) {
        const ma = Array.from(batch.masks.a!.dataSync());
        const mb = Array.from(batch.masks.b!.dataSync());
        const xs = Array.from(batch.inputs.x.dataSync());
        // Task a's rows first (mask a 1, b 0), then task b's (a 0, b 1): both tasks in every step.
        assert.deepEqual(ma.map((v, i) => v + mb[i]), new Array(batch.size).fill(1));
        out.push({ a: xs.filter((_, i) => ma[i] === 1), b: xs.filter((_, i) => mb[i] === 1) });
        disposeBatch(batch);
      }
      return out;
    };
    const e = await read(b.sources.train);
    assert.deepEqual(e.map((x) => [x.a.length, x.b.length]), [[4, 4], [4, 4], [2, 4]]);
    assert.deepEqual(e.flatMap((x) => x.a).sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Task b (4 rows) restarts every step, reshuffled.
    for (const x of e) assert.deepEqual([...x.b].sort((p, q) => p - q), [100, 101, 102, 103]);
    assert.equal(b.sources.train.size, 10, 'size / batchSize is the step count');
    assert.deepEqual(await read(d.sources.train), e, 'all is the default');
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('files: config problems are config errors', () => {
  it('needs a train source and targets, or tasks', () => {
    assert.throws(() => describeFiles({ type: 'files', inputs: { x: { column: 'a' } } }), (e: unknown) => e instanceof MtlError && e.kind === 'config');
    assert.throws(() => describeFiles({ type: 'files', inputs: { x: { column: 'a' } }, targets: { k: { column: 'k', type: 'classification' } }, train: { format: 'csv', path: 'a.csv' } }), /needs classes/);
  });
  it('an ArraySet stays an ArraySet', async () => {
    const b = await load({ inputs: { x: { columns: ['length'] } }, targets: { s: { column: 'size', type: 'regression' } }, train: { format: 'csv', path: 'tiny.csv' } });
    assert.equal((b.train as ArraySet).inputs.x.shape[0], 1);
  });
});
