// Multi-valued categorical fields (files encoding: embedding with maxValues): a JSON list or a text split
// on `separator` becomes maxValues ids padded with 0, the first values kept; the vocabulary counts every
// kept value; the features block averages the embeddings of the real ids (padding left out, a row with no
// value gives zeros, the out-of-vocabulary id is a real id). Expected ids and means are worked by hand.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { loadFiles } from '../../../../src/data/files';
import { MtlError } from '../../../../src/errors';
import { maskedMean } from '../../../../src/layers/masked-mean';
import { buildModel } from '../../../../src/model/build';
import { train } from '../../../../src/train/loop';
import { validateSpecText } from '../../../../src/spec/validate';
import { useBackend } from '../../../helpers/backend';

before(() => useBackend('cpu'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-multi-valued-'));
const jsonl = (name: string, rows: Array<Record<string, unknown>>) => fs.writeFileSync(path.join(dir, name), rows.map((r, i) => JSON.stringify({ ...r, y: i })).join('\n') + '\n');
// genres (lists, maxValues 3, minCount 2): kept values Drama ×5 (twice in row 4), Comedy ×2, Action ×1;
// Horror is the 4th value of row 2, dropped unread. Vocabulary [Drama, Comedy] → ids 2, 3; Action → 1.
// tags (text on "|", empty parts dropped, at most 3): y ×4, x ×3, z ×1 (row 4's z is its 4th value) →
// ids y 2, x 3, z 4 (most frequent first); 8 values kept.
jsonl('train.jsonl', [
  { genres: ['Drama', 'Comedy'], tags: 'x|y' },
  { genres: ['Drama'], tags: 'y' },
  { genres: ['Comedy', 'Drama', 'Action', 'Horror'], tags: 'x||z' },
  { genres: [], tags: null },
  { genres: ['Drama', null, 'Drama'], tags: 'y|x|y|z' },
]);
jsonl('val.jsonl', [{ genres: ['Western', 'Drama'], tags: 'w|z' }]);
const inputs = { genres: { field: 'genres', encoding: 'embedding', maxValues: 3, minCount: 2 }, tags: { field: 'tags', encoding: 'embedding', maxValues: 3, separator: '|' } };
const cfg = { type: 'files', inputs, targets: { y: { field: 'y', type: 'regression' } }, train: { format: 'jsonl', path: 'train.jsonl' }, val: { format: 'jsonl', path: 'val.jsonl' } };
const ids = (x: { data: ArrayLike<number> }) => Array.from(x.data);

describe('files: multi-valued embedding inputs', () => {
  it('lists and separated text → padded ids, first maxValues kept, every kept value counted', async () => {
    const b = await loadFiles(cfg, { seed: 1, specDir: dir });
    const state = (b.state as { encoders: Record<string, { vocabulary: string[]; distinct: number }> }).encoders;
    assert.deepEqual(state['inputs.genres'].vocabulary, ['Drama', 'Comedy']);
    assert.equal(state['inputs.genres'].distinct, 3);
    assert.deepEqual(state['inputs.tags'].vocabulary, ['y', 'x', 'z']);
    assert.deepEqual(b.train.inputs.genres.shape, [3]);
    assert.deepEqual(ids(b.train.inputs.genres), [2, 3, 0, 2, 0, 0, 3, 2, 1, 0, 0, 0, 2, 2, 0]);
    assert.deepEqual(ids(b.train.inputs.tags), [3, 2, 0, 2, 0, 0, 3, 4, 0, 0, 0, 0, 2, 3, 2]);
    // Val: Western and w were never trained (id 1).
    assert.deepEqual(ids(b.val!.inputs.genres), [1, 2, 0]);
    assert.deepEqual(ids(b.val!.inputs.tags), [1, 4, 0]);
    // values = kept values, missing = rows without any.
    assert.deepEqual(b.idCounts, {
      train: { genres: { values: 8, oov: 1, missing: 1 }, tags: { values: 8, oov: 0, missing: 1 } },
      val: { genres: { values: 2, oov: 1, missing: 0 }, tags: { values: 2, oov: 1, missing: 0 } },
    });
  });

  it('maskedMean: the mean over real ids; padding ignored; no id gives zeros', () => {
    // Table rows: id 0 → [100, 100] (would show if padding were averaged in), id i → [i, i²].
    const table = tf.tensor2d([[100, 100], [1, 1], [2, 4], [3, 9]]);
    const rows = tf.tensor2d([[2, 3, 0], [3, 2, 1], [2, 2, 0], [0, 0, 0], [1, 0, 0]], undefined, 'int32');
    const y = maskedMean(tf.gather(table, rows), rows);
    const want = [[2.5, 6.5], [2, 14 / 3], [2, 4], [0, 0], [1, 1]];
    (y.arraySync() as number[][]).forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) < 1e-5, `row ${i}: ${r} vs ${want[i]}`)));
    tf.dispose([table, rows, y]);
  });

  const spec = (shape = '[3]') => `data:
  type: files
  inputs:
    genres: {field: genres, encoding: embedding, maxValues: 3, minCount: 2}
    tags: {field: tags, encoding: embedding, maxValues: 3, separator: "|"}
  targets:
    y: {field: y, type: regression}
  train: {format: jsonl, path: train.jsonl}
  val: {format: jsonl, path: val.jsonl}
inputs:
  genres: {shape: ${shape}, dtype: int32}
  tags: {shape: [3], dtype: int32}
features:
  genres: {embedding: 2}
  tags: {embedding: 3}
backbone:
  - dense: {units: 4}
tasks:
  y: {type: regression, head: [{dense: {units: 1}}], loss: mse}
train: {epochs: 1, batchSize: 2, validation: none}
`;

  it('the features block pools each list with maskedMean into its embedding width', () => {
    const s = validateSpecText(spec(), path.join(dir, 's.yaml'));
    assert.deepEqual(s.resolved.features, { genres: { embedding: 2, inputDim: 10000 }, tags: { embedding: 3, inputDim: 10000 } });
    const built = buildModel(s.resolved);
    try {
      const m = built.model;
      const table = [[100, 100], [1, 1], [2, 4], [3, 9]];
      const full = Array.from({ length: 10000 }, (_, i) => table[i] ?? [0, 0]);
      m.getLayer('features_genres_embedding').setWeights([tf.tensor2d(full)]);
      const concat = m.getLayer('features_concat');
      assert.deepEqual(concat.outputShape, [null, 5]);
      const probe = tf.model({ inputs: m.inputs, outputs: concat.output as tf.SymbolicTensor });
      const genres = tf.tensor2d([[3, 2, 1], [0, 0, 0]], undefined, 'int32');
      const tags = tf.zeros([2, 3], 'int32');
      const out = probe.predict(m.inputNames.map((n) => (n === 'genres' ? genres : tags))) as tf.Tensor;
      const v = out.arraySync() as number[][];
      // genres first (2 wide), then the tags' mean: all padding → zeros.
      assert.deepEqual(v.map((r) => r.map((x) => Math.round(x * 1e5) / 1e5)), [[2, Math.round((14 / 3) * 1e5) / 1e5, 0, 0, 0], [0, 0, 0, 0, 0]]);
      tf.dispose([genres, tags, out]);
    } finally {
      built.model.dispose();
    }
  });

  it('trains two steps end to end', async () => {
    fs.writeFileSync(path.join(dir, 'train.yaml'), spec());
    const r = await train(path.join(dir, 'train.yaml'), { out: path.join(dir, 'run'), backend: 'cpu' });
    assert.equal(r.status, 'completed');
    assert.equal(r.epochs[0].steps, 3);
  });

  it('options that do not fit are spec errors', async () => {
    assert.throws(() => validateSpecText(spec('[3, 1]'), path.join(dir, 's.yaml')), (e: unknown) => e instanceof MtlError && e.problems.some((p) => /one id per row, or a list of ids/.test(p.message)));
    const bad = { ...cfg, inputs: { genres: { field: 'genres', encoding: 'embedding', separator: '|' }, tags: { field: 'tags', maxValues: 3 } } };
    await assert.rejects(loadFiles(bad, { seed: 1, specDir: dir }), (e: MtlError) => {
      assert.deepEqual(e.problems.map((p) => p.where.path), ['data.inputs.genres.separator', 'data.inputs.tags.maxValues']);
      return true;
    });
  });
});
