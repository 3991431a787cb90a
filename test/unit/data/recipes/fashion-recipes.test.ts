// The fashion-pairs and fashion-attributes recipes: describe() agreeing with create(), determinism
// from the seed, balanced same/different pairs whose labels follow the items, attributes consistent
// with the category, downsampling that keeps each block's mean, option errors, and batches made per
// batch from the uint8 items equal to batching the split materialised up front (the recipes' old way).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { MtlError } from '../../../../src/errors';
import { fashionAttributesData, groupNames } from '../../../../src/data/recipes/fashion-attributes';
import { itemsAt } from '../../../../src/data/recipes/fashion-items';
import { drawLabelledPairs, fashionPairsData } from '../../../../src/data/recipes/fashion-pairs';
import { batches, disposeBatch, type Batch, type BatchOptions } from '../../../../src/data/batching';
import { dataRecipes } from '../../../../src/data/index';
import { splitsFor } from '../../../../src/data/run-data';
import { toBatchSource, type SplitData } from '../../../../src/data/source';
import { chooseItems, loadFashion } from '../../../../src/data/recipes/fashion-items';
import { writeIdx } from '../../../../src/data/formats/idx';
import { classNames, FILES, type FashionSplit } from '../../../../src/data/recipes/multifashion';
import type { ArraySet, DataBundle, DataDescription, DataDescriptor } from '../../../../src/data/types';
import { mixSeed, mulberry32 } from '../../../../src/util/random';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-fr-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ctx = { seed: 5, specDir: tmp };

/** A synthetic Fashion-MNIST folder: n random images per split, item i has label labels(i). */
function writeFolder(name: string, n: number, label: (i: number) => number): { dir: string; train: FashionSplit } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  let train: FashionSplit | undefined;
  for (const [split, seed] of [['train', 1], ['test', 2]] as const) {
    const rand = mulberry32(seed);
    const images = Uint8Array.from({ length: n * 784 }, () => Math.floor(rand() * 256));
    const labels = Uint8Array.from({ length: n }, (_, i) => label(i));
    writeIdx(path.join(dir, FILES[split].images), { dtype: 'uint8', dims: [n, 28, 28], data: images });
    writeIdx(path.join(dir, FILES[split].labels), { dtype: 'uint8', dims: [n], data: labels });
    if (split === 'train') train = { images, labels, size: n };
  }
  return { dir, train: train! };
}

/** A split's rows in order, read back from its batches into columns (dtypes as the batches carry them). */
async function materialise(split: SplitData): Promise<ArraySet> {
  const cols: Record<'inputs' | 'targets', Record<string, { parts: number[][]; shape: number[]; int: boolean }>> = { inputs: {}, targets: {} };
  let size = 0;
  for await (const batch of toBatchSource(split).batches({ batchSize: 13, shuffle: false, seed: 0, epoch: 1 })) {
    size += batch.size;
    for (const kind of ['inputs', 'targets'] as const) {
      for (const [name, t] of Object.entries(batch[kind])) {
        const c = (cols[kind][name] ??= { parts: [], shape: t.shape.slice(1), int: t.dtype === 'int32' });
        c.parts.push(Array.from(t.dataSync()));
      }
    }
    disposeBatch(batch);
  }
  const column = (c: { parts: number[][]; shape: number[]; int: boolean }) => ({ data: c.int ? Int32Array.from(c.parts.flat()) : Float32Array.from(c.parts.flat()), shape: c.shape });
  const of = (kind: 'inputs' | 'targets') => Object.fromEntries(Object.entries(cols[kind]).map(([n, c]) => [n, column(c)]));
  return { size, inputs: of('inputs'), targets: of('targets') };
}

/** The bundle's train and test splits (batch sources) as columns. */
async function sets(b: DataBundle): Promise<{ train: ArraySet; test: ArraySet }> {
  assert.ok(b.sources, 'the recipe serves batch sources');
  assert.equal(b.train.size, 0, 'no materialised training split');
  return { train: await materialise(b.sources.train), test: await materialise(b.sources.test!) };
}

/** Every split's columns have the shapes, dtypes and lengths describe() promised. */
async function assertMatches(d: DataDescription, bundle: DataBundle) {
  assert.deepEqual(d.splits, ['train', 'test']);
  const b = await sets(bundle);
  for (const set of [b.train, b.test]) {
    assert.deepEqual(Object.keys(set.inputs).sort(), Object.keys(d.inputs).sort());
    for (const [name, spec] of Object.entries(d.inputs)) {
      const col = set.inputs[name];
      assert.deepEqual(col.shape, spec.shape, name);
      assert.ok(spec.dtype === 'int32' ? col.data instanceof Int32Array : col.data instanceof Float32Array, name);
      assert.equal(col.data.length, set.size * spec.shape.reduce((a, x) => a * x, 1));
    }
    assert.deepEqual(Object.keys(set.targets).sort(), Object.keys(d.targets).sort());
    for (const [name, t] of Object.entries(d.targets)) {
      const col = set.targets[name];
      if (t.type === 'classification') {
        assert.deepEqual(col.shape, []);
        assert.ok(col.data instanceof Int32Array);
        assert.ok(col.data.every((v) => v >= 0 && v < t.classes!), `${name} labels in 0..${t.classes! - 1}`);
      } else {
        assert.deepEqual(col.shape, [t.dim]);
        assert.ok(col.data instanceof Float32Array);
      }
      assert.equal(col.data.length, set.size * col.shape.reduce((a, x) => a * x, 1));
    }
  }
}

function assertSchema(d: DataDescriptor, keys: string[]) {
  assert.equal(dataRecipes.get(d.type), d);
  assert.equal(d.schema.additionalProperties, false);
  const props = d.schema.properties as Record<string, { description?: string }>;
  assert.deepEqual(Object.keys(props).sort(), [...keys].sort());
  for (const [k, p] of Object.entries(props)) assert.ok(p.description, `${d.type}.${k} has a description`);
}

describe('itemsAt (downsampling)', () => {
  const rand = mulberry32(3);
  const split: FashionSplit = { images: Uint8Array.from({ length: 2 * 784 }, () => Math.floor(rand() * 256)), labels: Uint8Array.from([0, 1]), size: 2 };
  for (const size of [28, 14, 7, 4]) {
    it(`size ${size}: each pixel is the mean of its ${28 / size}×${28 / size} block, in [0, 1]`, () => {
      const out = itemsAt(split, [1, 0], size);
      assert.equal(out.length, 2 * size * size);
      const f = 28 / size;
      for (const [k, item] of [[0, 1], [1, 0]]) {
        for (const [r, c] of [[0, 0], [size - 1, size - 1], [Math.floor(size / 2), 1]]) {
          let s = 0;
          for (let i = 0; i < f; i++) for (let j = 0; j < f; j++) s += split.images[item * 784 + (r * f + i) * 28 + c * f + j];
          assert.ok(Math.abs(out[k * size * size + r * size + c] - s / (f * f * 255)) < 1e-6, `item ${item} pixel ${r},${c}`);
        }
        const mean = out.subarray(k * size * size, (k + 1) * size * size).reduce((a, v) => a + v, 0) / (size * size);
        const raw = split.images.subarray(item * 784, (item + 1) * 784).reduce((a, v) => a + v, 0) / (784 * 255);
        assert.ok(Math.abs(mean - raw) < 1e-5);
      }
      assert.ok(out.every((v) => v >= 0 && v <= 1));
    });
  }
});

describe('fashion-pairs', () => {
  it('is registered with a documented schema', () => assertSchema(fashionPairsData, ['dir', 'size', 'trainSize', 'testSize', 'sameAs', 'seed']));

  it('draws balanced pairs: exactly floor(n/2) same-class ones, labels following the items', () => {
    const labels = Uint8Array.from({ length: 50 }, (_, i) => i % 10);
    for (const count of [2, 7, 100, 301]) {
      const { first, second, same } = drawLabelledPairs(labels, count, 9);
      assert.equal(same.reduce((a, v) => a + v, 0), Math.floor(count / 2), `count ${count}`);
      for (let k = 0; k < count; k++) {
        assert.equal(labels[first[k]] === labels[second[k]], same[k] === 1, `pair ${k}`);
        if (same[k]) assert.notEqual(first[k], second[k], 'a same-class pair is two different items');
      }
    }
    // The flags are shuffled, not a block of ones then zeros.
    const { same } = drawLabelledPairs(labels, 100, 9);
    assert.ok(same.subarray(0, 50).some((v) => v === 0) && same.subarray(50).some((v) => v === 1));
    assert.throws(() => drawLabelledPairs(new Uint8Array(5), 4, 1), /at least two classes/);
  });

  it('create(): the same task is 1 exactly when category1 = category2, images are the items', async () => {
    const { dir, train } = writeFolder('pairs', 40, (i) => i % 4);
    const bundle = await fashionPairsData.create({ type: 'fashion-pairs', dir: 'pairs', size: 28, trainSize: 30, testSize: 9 }, ctx);
    assert.match(bundle.source, new RegExp(`^${dir}`));
    const b = await sets(bundle);
    for (const set of [b.train, b.test]) {
      const c1 = set.targets.category1.data;
      const c2 = set.targets.category2.data;
      const same = set.targets.same.data;
      assert.equal([...same].reduce((a, v) => a + v, 0), Math.floor(set.size / 2));
      for (let k = 0; k < set.size; k++) assert.equal(same[k], c1[k] === c2[k] ? 1 : 0);
    }
    // Each training image1 is one of the training items with the label category1 says.
    const img = b.train.inputs.image1.data;
    for (let k = 0; k < 5; k++) {
      const got = img.subarray(k * 784, (k + 1) * 784);
      const match = [...Array(40).keys()].find((i) => itemsAt(train, [i], 28).every((v, p) => v === got[p]));
      assert.notEqual(match, undefined, `pair ${k}`);
      assert.equal(train.labels[match!], b.train.targets.category1.data[k]);
    }
  });

  it('sameAs: classification gives `same` as int32 class indices (0 different, 1 same) for a 2-way softmax head', async () => {
    const base = { type: 'fashion-pairs', size: 7, trainSize: 20, testSize: 4 };
    const bin = await sets(await fashionPairsData.create(base, ctx));
    const clsBundle = await fashionPairsData.create({ ...base, sameAs: 'classification' }, ctx);
    const cls = await sets(clsBundle);
    assert.ok(cls.train.targets.same.data instanceof Int32Array);
    assert.deepEqual(cls.train.targets.same.shape, []);
    assert.deepEqual(Array.from(cls.train.targets.same.data), Array.from(bin.train.targets.same.data));
    assert.deepEqual(fashionPairsData.describe({ ...base, sameAs: 'classification' }).targets.same, { type: 'classification', classes: 2 });
    await assertMatches(fashionPairsData.describe({ ...base, sameAs: 'classification' }), clsBundle);
  });

  for (const size of [28, 14, 7]) {
    it(`describe() matches create() (size ${size}, bundled data)`, async () => {
      const cfg = { type: 'fashion-pairs', size, trainSize: 64, testSize: 16 };
      await assertMatches(fashionPairsData.describe(cfg), await fashionPairsData.create(cfg, ctx));
    });
  }

  it('is deterministic in the seed (data.seed overrides the spec seed)', async () => {
    const cfg = { type: 'fashion-pairs', size: 7, trainSize: 40, testSize: 10 };
    const a = await sets(await fashionPairsData.create(cfg, ctx));
    assert.deepEqual(await sets(await fashionPairsData.create(cfg, ctx)), a);
    const other = await sets(await fashionPairsData.create(cfg, { ...ctx, seed: 6 }));
    assert.notDeepEqual(other.train.targets.category1.data, a.train.targets.category1.data);
    assert.deepEqual(await sets(await fashionPairsData.create({ ...cfg, seed: 5 }, { ...ctx, seed: 77 })), a);
  });

  it('rejects bad options with the allowed values', () => {
    assert.throws(() => fashionPairsData.describe({ type: 'fashion-pairs', size: 10 }), (e: unknown) => e instanceof MtlError && e.kind === 'config' && /size is not one of the allowed values \(received 10; allowed: 28, 14, 7, 4\)/.test(e.message));
    assert.throws(() => fashionPairsData.describe({ type: 'fashion-pairs', trainsize: 10 }), /unknown option "trainsize".*did you mean "trainSize"/);
    assert.throws(() => fashionPairsData.describe({ type: 'fashion-pairs', testSize: 1 }), /testSize is out of range/);
  });
});

describe('fashion-attributes', () => {
  /** The groups by class name, written out independently of the recipe's table. */
  const GROUP_BY_NAME: Record<string, string> = {
    'T-shirt/top': 'top',
    Trouser: 'bottom',
    Pullover: 'top',
    Dress: 'full-body',
    Coat: 'top',
    Sandal: 'footwear',
    Shirt: 'top',
    Sneaker: 'footwear',
    Bag: 'bag',
    'Ankle boot': 'footwear',
  };

  it('is registered with a documented schema', () => assertSchema(fashionAttributesData, ['dir', 'size', 'trainSize', 'testSize', 'seed']));

  let bundle: { train: ArraySet; test: ArraySet };
  it('describe() matches create(); defaults take every image of the bundled splits', async () => {
    const cfg = { type: 'fashion-attributes', size: 14 };
    const created = await fashionAttributesData.create(cfg, ctx);
    await assertMatches(fashionAttributesData.describe(cfg), created);
    bundle = await sets(created);
    assert.equal(bundle.train.size, 6000);
    assert.equal(bundle.test.size, 1000);
  });

  it('group follows the category; ink is the image mean, the same at every size', async () => {
    for (const set of [bundle.train, bundle.test]) {
      const cat = set.targets.category.data;
      const group = set.targets.group.data;
      for (let k = 0; k < set.size; k++) assert.equal(groupNames[group[k]], GROUP_BY_NAME[classNames[cat[k]]], `row ${k}`);
      assert.equal(new Set(group).size, 5);
      const img = set.inputs.image.data;
      const ink = set.targets.ink.data;
      for (const k of [0, 1, set.size - 1]) {
        const mean = [...img.subarray(k * 196, (k + 1) * 196)].reduce((a, v) => a + v, 0) / 196;
        assert.ok(Math.abs(ink[k] - mean) < 1e-6);
      }
      assert.ok(ink.every((v) => v > 0 && v < 1));
    }
    const full = await sets(await fashionAttributesData.create({ type: 'fashion-attributes', size: 28, trainSize: 50, testSize: 10 }, ctx));
    const small = await sets(await fashionAttributesData.create({ type: 'fashion-attributes', size: 4, trainSize: 50, testSize: 10 }, ctx));
    assert.deepEqual(small.train.targets.category.data, full.train.targets.category.data, 'the size does not change which images are drawn');
    full.train.targets.ink.data.forEach((v, k) => assert.ok(Math.abs(v - small.train.targets.ink.data[k]) < 1e-5));
  });

  it('draws distinct images, deterministically in the seed', async () => {
    const { dir } = writeFolder('attrs', 30, (i) => i % 10);
    const cfg = { type: 'fashion-attributes', dir, size: 28, trainSize: 30, testSize: 12 };
    const a = await sets(await fashionAttributesData.create(cfg, ctx));
    assert.deepEqual(await sets(await fashionAttributesData.create(cfg, ctx)), a);
    // All 30 items, each once: their label histogram is exactly the folder's.
    assert.deepEqual([...a.train.targets.category.data].sort(), Array.from({ length: 30 }, (_, i) => i % 10).sort());
    const b = await sets(await fashionAttributesData.create(cfg, { ...ctx, seed: 99 }));
    assert.notDeepEqual(b.train.targets.category.data, a.train.targets.category.data);
    await assert.rejects(fashionAttributesData.create({ ...cfg, trainSize: 31 }, ctx), (e: unknown) => e instanceof MtlError && e.kind === 'data' && /the train split has only 30 images/.test(e.message));
  });
});

describe('per-batch images equal batching the old materialised splits', () => {
  /** fashion-pairs as the recipe built it before: every pair's images as one float array. */
  function oldPairs(split: FashionSplit, count: number, size: number, seed: number, sameAs: 'binary' | 'classification'): ArraySet {
    const { first, second, same } = drawLabelledPairs(split.labels, count, seed);
    return {
      size: count,
      inputs: { image1: { data: itemsAt(split, first, size), shape: [size, size, 1] }, image2: { data: itemsAt(split, second, size), shape: [size, size, 1] } },
      targets: {
        category1: { data: Int32Array.from(first, (i) => split.labels[i]), shape: [] },
        category2: { data: Int32Array.from(second, (i) => split.labels[i]), shape: [] },
        same: sameAs === 'binary' ? { data: Float32Array.from(same), shape: [1] } : { data: Int32Array.from(same), shape: [] },
      },
    };
  }

  /** fashion-attributes as the recipe built it before (ink summed over the materialised images). */
  function oldAttributes(split: FashionSplit, count: number, size: number, seed: number): ArraySet {
    const idx = chooseItems(split.size, count, seed);
    const image = itemsAt(split, idx, size);
    const pixels = size * size;
    const ink = new Float32Array(idx.length);
    for (let k = 0; k < idx.length; k++) {
      let s = 0;
      for (let p = k * pixels; p < (k + 1) * pixels; p++) s += image[p];
      ink[k] = s / pixels;
    }
    const category = Int32Array.from(idx, (i) => split.labels[i]);
    return { size: idx.length, inputs: { image: { data: image, shape: [size, size, 1] } }, targets: { category: { data: category, shape: [] }, group: { data: Int32Array.from(category, (c) => [0, 1, 0, 2, 0, 3, 0, 3, 4, 3][c]), shape: [] }, ink: { data: ink, shape: [1] } } };
  }

  async function batchList(split: SplitData, opts: BatchOptions): Promise<Array<Record<string, { dtype: string; shape: number[]; data: number[] }>>> {
    const out = [];
    const it: AsyncIterable<Batch> | Iterable<Batch> = 'kind' in split ? split.batches(opts) : batches(split, opts);
    for await (const b of it) {
      const all = { ...b.inputs, ...Object.fromEntries(Object.entries(b.targets).map(([n, t]) => [`target:${n}`, t])) };
      out.push(Object.fromEntries(Object.entries(all).map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape, data: Array.from(t.dataSync()) }])));
      assert.deepEqual(Object.values(b.masks), Object.values(b.masks).map(() => undefined));
      disposeBatch(b);
    }
    return out;
  }

  /** The old bundle's splits (validation held out as run-data does for in-memory sets) against the new ones: every batch of two shuffled epochs, bit for bit. */
  async function assertSameBatches(old: { train: ArraySet; test: ArraySet }, bundle: DataBundle, validation: number | 'none'): Promise<void> {
    const r = { seed: ctx.seed, data: { type: 'x' }, train: { validation } };
    const now = splitsFor(r, bundle);
    const then = splitsFor(r, { train: old.train, test: old.test, source: '' });
    for (const which of ['train', 'val', 'test'] as const) {
      assert.equal(now[which] === undefined, then[which] === undefined, which);
      if (!then[which]) continue;
      for (const epoch of [1, 2]) {
        const opts = { batchSize: 7, shuffle: which === 'train', seed: ctx.seed, epoch };
        assert.deepEqual(await batchList(now[which]!, opts), await batchList(then[which]!, opts), `${which} epoch ${epoch}`);
      }
    }
  }

  const { dir, train } = writeFolder('same', 60, (i) => (i * 7) % 10);
  for (const [size, validation, sameAs] of [[28, 0.2, 'binary'], [14, 'none', 'classification'], [7, 0.25, 'binary']] as const) {
    it(`fashion-pairs size ${size}, validation ${validation}, same as ${sameAs}`, async () => {
      const cfg = { type: 'fashion-pairs', dir, size, trainSize: 33, testSize: 11, sameAs };
      const c = { ...ctx, validation };
      const bundle = await fashionPairsData.create(cfg, c);
      const splits = loadFashion(dir, c);
      assert.deepEqual(splits.train, train);
      const old = { train: oldPairs(splits.train, 33, size, mixSeed(ctx.seed, 1), sameAs), test: oldPairs(splits.test, 11, size, mixSeed(ctx.seed, 2), sameAs) };
      await assertSameBatches(old, bundle, validation);
    });
    it(`fashion-attributes size ${size}, validation ${validation}`, async () => {
      const c = { ...ctx, validation };
      const bundle = await fashionAttributesData.create({ type: 'fashion-attributes', dir, size, trainSize: 41, testSize: 13 }, c);
      const splits = loadFashion(dir, c);
      const old = { train: oldAttributes(splits.train, 41, size, mixSeed(ctx.seed, 1)), test: oldAttributes(splits.test, 13, size, mixSeed(ctx.seed, 2)) };
      await assertSameBatches(old, bundle, validation);
    });
  }
});
