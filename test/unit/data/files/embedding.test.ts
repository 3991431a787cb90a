// Categorical inputs for embeddings (files encoding: embedding) and the features block: the vocabulary
// comes from the training rows only, minCount and the vocabulary cap send rare values to the
// out-of-vocabulary id 1, a missing value is the padding id 0, hashing gives hand-computable FNV-1a
// buckets, eval reuses the saved vocabulary, and the features block builds one vector of the declared width.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { fnv1a32, hashedId } from '../../../../src/data/categorical';
import { loadFiles } from '../../../../src/data/files';
import { MtlError } from '../../../../src/errors';
import { buildModel } from '../../../../src/model/build';
import { validateSpecText } from '../../../../src/spec/validate';
import { useBackend } from '../../../helpers/backend';

before(() => useBackend('cpu'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-embedding-'));
const jsonl = (name: string, rows: Array<Record<string, unknown>>) => fs.writeFileSync(path.join(dir, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
// Train: a ×3, b ×2, c ×1, one missing. Val: a, c, d (never in train), one missing; z ×4 in val only.
jsonl('train.jsonl', [{ c: 'a' }, { c: 'b' }, { c: 'a' }, { c: 'c' }, { c: null }, { c: 'b' }, { c: 'a' }].map((r, i) => ({ ...r, y: i })));
jsonl('val.jsonl', [{ c: 'a' }, { c: 'c' }, { c: 'd' }, { c: '' }, { c: 'z' }, { c: 'z' }, { c: 'z' }, { c: 'z' }].map((r, i) => ({ ...r, y: i })));
const cfg = (input: Record<string, unknown>, train = 'train.jsonl') => ({
  type: 'files',
  inputs: { c: { field: 'c', encoding: 'embedding', ...input } },
  targets: { y: { field: 'y', type: 'regression' } },
  train: { format: 'jsonl', path: train },
  val: { format: 'jsonl', path: 'val.jsonl' },
});
const ids = (x: { data: ArrayLike<number> }) => Array.from(x.data);

describe('files: encoding embedding', () => {
  it('vocabulary from train only, minCount, out-of-vocabulary and padding ids; counts per split', async () => {
    const b = await loadFiles(cfg({ minCount: 2 }), { seed: 1, specDir: dir });
    // Kept: a (3), b (2) → ids 2, 3; c (1 < minCount) → 1; missing → 0. Val: d and z never trained → 1.
    assert.deepEqual((b.state as { encoders: Record<string, { vocabulary: string[] }> }).encoders['inputs.c'].vocabulary, ['a', 'b']);
    assert.deepEqual(ids(b.train.inputs.c), [2, 3, 2, 1, 0, 3, 2]);
    assert.deepEqual(ids(b.val!.inputs.c), [2, 1, 1, 0, 1, 1, 1, 1]);
    assert.deepEqual(b.idCounts, { train: { c: { values: 6, oov: 1, missing: 1 } }, val: { c: { values: 7, oov: 6, missing: 1 } } });
  });

  it('without minCount every training value has an id, most frequent first; vocabulary caps the ids', async () => {
    const all = await loadFiles(cfg({}), { seed: 1, specDir: dir });
    assert.deepEqual(ids(all.train.inputs.c), [2, 3, 2, 4, 0, 3, 2]);
    // vocabulary: 3 = pad, oov and one value: only a.
    const capped = await loadFiles(cfg({ vocabulary: 3 }), { seed: 1, specDir: dir });
    assert.deepEqual(ids(capped.train.inputs.c), [2, 1, 2, 1, 0, 1, 2]);
  });

  it('hashing: 2 + FNV-1a mod buckets, hand-computed, the same in every run', async () => {
    // Published FNV-1a 32-bit test vectors.
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    // 0xe40c292c = 3826002220 → mod 1000 = 220 → id 222; 0xbf9cf968 = 3214735720 → 720 → 722.
    assert.equal(hashedId('a', 1000), 222);
    assert.equal(hashedId('foobar', 1000), 722);
    const runs = await Promise.all([1, 2].map((seed) => loadFiles(cfg({ hashing: { buckets: 1000 } }), { seed, specDir: dir })));
    // b: fnv1a32('b') = 0xe70c2de5 = 3876335077 → 77 → 79; c: 0xe60c2c52 = 3859557458 → 458 → 460.
    for (const r of runs) assert.deepEqual(ids(r.train.inputs.c), [222, 79, 222, 460, 0, 79, 222]);
    // Nothing is out of vocabulary with hashing; d and z have buckets too.
    assert.equal(runs[0].idCounts!.val.c.oov, 0);
  });

  it('eval and resume reuse the saved vocabulary (data-state round trip)', async () => {
    const first = await loadFiles(cfg({ minCount: 2 }), { seed: 1, specDir: dir });
    const saved = JSON.parse(JSON.stringify(first.state));
    // Another training file where c is most frequent: fitted afresh it would give c id 2.
    jsonl('train2.jsonl', [{ c: 'c' }, { c: 'c' }, { c: 'c' }, { c: 'a' }].map((r, i) => ({ ...r, y: i })));
    const fresh = await loadFiles(cfg({ minCount: 2 }, 'train2.jsonl'), { seed: 1, specDir: dir });
    assert.deepEqual(ids(fresh.train.inputs.c), [2, 2, 2, 1]);
    const again = await loadFiles(cfg({ minCount: 2 }, 'train2.jsonl'), { seed: 1, specDir: dir, state: saved });
    assert.deepEqual(ids(again.train.inputs.c), [1, 1, 1, 2]);
    assert.deepEqual(ids(again.val!.inputs.c), ids(first.val!.inputs.c));
  });

  it('hashing on another encoding is a config error', async () => {
    await assert.rejects(loadFiles(cfg({ encoding: 'tokens', hashing: { buckets: 10 } }), { seed: 1, specDir: dir }), (e: unknown) => e instanceof MtlError && /hashing maps the values of an embedding input/.test(e.problems[0].message));
  });
});

const spec = (features: string, extra = '') => `data:
  type: files
  inputs:
    mpaa: {field: mpaa, encoding: embedding, vocabulary: 5}
    director: {field: director, encoding: embedding, hashing: {buckets: 7}}
    numbers: {columns: [budget, year], normalize: true}
  targets:
    y: {field: y, type: regression}
  train: {format: jsonl, path: train.jsonl}
inputs:
  mpaa: {shape: [1], dtype: int32}
  director: {shape: [1], dtype: int32}
  numbers: {shape: [2]}
features:
${features}
backbone:
  - dense: {units: 4}
tasks:
  y: {type: regression, head: [{dense: {units: 1}}], loss: mse}
${extra}`;

describe('the features block', () => {
  it('fills each table size from the data and builds one vector of the declared width', () => {
    const s = validateSpecText(spec('  mpaa: {embedding: 3}\n  director: {embedding: 4}\n  numbers:'), 's.yaml');
    // vocabulary: 5 ids; hashing: 7 buckets + pad + oov = 9 ids.
    assert.deepEqual(s.resolved.features, { mpaa: { embedding: 3, inputDim: 5 }, director: { embedding: 4, inputDim: 9 }, numbers: {} });
    const built = buildModel(s.resolved);
    try {
      const concat = built.model.getLayer('features_concat');
      // 3 + 4 + 2 numbers = 9.
      assert.deepEqual(concat.outputShape, [null, 9]);
      assert.deepEqual(built.model.getLayer('features_mpaa_embedding').getWeights()[0].shape, [5, 3]);
      assert.deepEqual(built.model.getLayer('features_director_embedding').getWeights()[0].shape, [9, 4]);
      assert.equal(built.groups.features_mpaa_embedding, 'shared');
      // The backbone's first dense reads the 9-wide vector: 9·4 + 4 weights.
      assert.equal(built.model.layers.find((l) => l.name.endsWith('_1_dense'))!.countParams(), 40);
    } finally {
      built.model.dispose();
    }
  });

  const bad: Array<[string, string, RegExp]> = [
    ['an id input without a table', '  mpaa: {embedding: 3}\n  director: {}\n  numbers:', /input "director" holds int32 ids: give it an embedding table/],
    ['an input left out', '  mpaa: {embedding: 3}\n  director: {embedding: 4}', /input "numbers" is not in features: with a features block, every input goes through it/],
    ['an embedding on numbers', '  mpaa: {embedding: 3}\n  director: {embedding: 4}\n  numbers: {embedding: 2}', /input "numbers" is float32: an embedding reads int32 ids/],
    ['a table too small for the data', '  mpaa: {embedding: 3, inputDim: 4}\n  director: {embedding: 4}\n  numbers:', /input "mpaa" carries ids up to 4 \(data\.inputs\.mpaa\.vocabulary\)/],
    ['a name that is no input', '  mpaa: {embedding: 3}\n  director: {embedding: 4}\n  numbers:\n  mpa: {embedding: 2}', /no input "mpa"/],
  ];
  for (const [name, features, re] of bad) {
    it(`${name} → exit 2`, () => {
      assert.throws(() => validateSpecText(spec(features), 's.yaml'), (e: unknown) => e instanceof MtlError && e.kind === 'config' && e.problems.some((p) => re.test(p.message)));
    });
  }
});
