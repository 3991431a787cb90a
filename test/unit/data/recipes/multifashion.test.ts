// The multifashion recipe: canvas composition, labels that follow the drawn items, determinism
// from the seed, describe() agreeing with create(), and clear errors for missing or bad files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MtlError } from '../../../../src/errors';
import { writeIdx } from '../../../../src/data/formats/idx';
import { classNames, composeCanvas, FILES, multifashionData } from '../../../../src/data/recipes/multifashion';
import { dataRecipes } from '../../../../src/data/index';
import { mulberry32 } from '../../../../src/util/random';
import { packageRoot } from '../../../../src/util/paths';
import { materialise } from '../../../helpers/sources';
import type { DataBundle } from '../../../../src/data/types';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-mf-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const px = (r: number, c: number) => r * 28 + c;
const at = (canvas: Float32Array, r: number, c: number) => canvas[r * 36 + c];
const f = Math.fround;

/** A synthetic split: n random 28×28 images; item i has label i % 10. */
function writeSplit(dir: string, split: 'train' | 'test', n: number, seed: number, labels?: number[]) {
  const rand = mulberry32(seed);
  const images = Uint8Array.from({ length: n * 784 }, () => Math.floor(rand() * 256));
  writeIdx(path.join(dir, FILES[split].images), { dtype: 'uint8', dims: [n, 28, 28], data: images });
  writeIdx(path.join(dir, FILES[split].labels), { dtype: 'uint8', dims: [n], data: Uint8Array.from(labels ?? Array.from({ length: n }, (_, i) => i % 10)) });
  return images;
}

describe('composeCanvas', () => {
  it('puts the first item top-left and the second 8 px down and right, scaled to [0, 1]', () => {
    const a = new Uint8Array(784);
    const b = new Uint8Array(784);
    a[px(0, 0)] = 255;
    a[px(27, 27)] = 100;
    a[px(10, 3)] = 17;
    b[px(0, 0)] = 51;
    b[px(19, 19)] = 200; // lands on a's (27, 27): the larger wins
    b[px(27, 27)] = 102;
    b[px(2, 5)] = 7; // lands on a's (10, 13) = 0
    const c = composeCanvas(a, b);
    assert.equal(c.length, 36 * 36);
    assert.equal(at(c, 0, 0), 1);
    assert.equal(at(c, 10, 3), f(17 / 255));
    assert.equal(at(c, 8, 8), f(51 / 255));
    assert.equal(at(c, 27, 27), f(200 / 255));
    assert.equal(at(c, 35, 35), f(102 / 255));
    assert.equal(at(c, 10, 13), f(7 / 255));
    const nonzero = [...c].filter((v) => v !== 0).length;
    assert.equal(nonzero, 6);
  });

  it('overlaps by pixel-wise maximum over rows/cols 8..27 only', () => {
    const c = composeCanvas(new Uint8Array(784).fill(100), new Uint8Array(784).fill(60));
    for (let r = 0; r < 36; r++) {
      for (let col = 0; col < 36; col++) {
        const inA = r < 28 && col < 28;
        const inB = r >= 8 && col >= 8;
        const want = inA ? 100 / 255 : inB ? 60 / 255 : 0;
        assert.equal(at(c, r, col), Math.fround(want), `pixel ${r},${col}`);
      }
    }
    const d = composeCanvas(new Uint8Array(784).fill(60), new Uint8Array(784).fill(100));
    assert.equal(at(d, 8, 8), Math.fround(100 / 255));
    assert.equal(at(d, 7, 7), Math.fround(60 / 255));
  });

  it('writes at an offset without touching the rest of the buffer', () => {
    const out = new Float32Array(3 * 1296).fill(-1);
    composeCanvas(new Uint8Array(784).fill(255), new Uint8Array(784), out, 1296);
    assert.ok(out.subarray(0, 1296).every((v) => v === -1));
    assert.ok(out.subarray(2 * 1296).every((v) => v === -1));
    assert.equal(out[1296], 1);
    assert.equal(out[1296 + 35], 0);
  });
});

describe('multifashion recipe', () => {
  const dir = path.join(tmp, 'synthetic');
  let trainImages: Uint8Array;
  let testImages: Uint8Array;
  before(() => {
    fs.mkdirSync(dir);
    trainImages = writeSplit(dir, 'train', 10, 1);
    testImages = writeSplit(dir, 'test', 7, 2, [3, 1, 4, 1, 5, 9, 2]);
  });
  const ctx = { seed: 11, specDir: tmp };
  /** The bundle's train and test splits read back from its batch sources (canvases are composed per batch). */
  const read = async (b: DataBundle) => ({ source: b.source, train: await materialise(b.sources!.train), test: await materialise(b.sources!.test!) });
  const make = async (extra: Record<string, unknown> = {}, c = ctx) => read(await multifashionData.create({ type: 'multifashion', dir: 'synthetic', trainSize: 40, testSize: 15, ...extra }, c));

  it('is registered, with a documented schema', () => {
    assert.equal(dataRecipes.get('multifashion'), multifashionData);
    const props = multifashionData.schema.properties as Record<string, { description?: string; default?: unknown }>;
    assert.deepEqual(Object.keys(props).sort(), ['background', 'dense', 'dir', 'seed', 'testSize', 'trainSize']);
    for (const [k, p] of Object.entries(props)) assert.ok(p.description, `${k} has a description`);
    assert.equal(props.trainSize.default, 6000);
    assert.equal(props.testSize.default, 1000);
    assert.equal(multifashionData.schema.additionalProperties, false);
    assert.equal(classNames.length, 10);
    assert.equal(classNames[9], 'Ankle boot');
  });

  it('composes each pair from the items its labels name (relative dir resolved against specDir)', async () => {
    const b = await make();
    assert.equal(b.source, `${dir} (Fashion-MNIST, 40 train / 15 test pairs)`);
    const image = b.train.inputs.image.data as Float32Array;
    const left = b.train.targets.left.data;
    const right = b.train.targets.right.data;
    for (let k = 0; k < 40; k++) {
      // train item i has label i, so the labels identify the items
      const a = trainImages.subarray(left[k] * 784, (left[k] + 1) * 784);
      const c = trainImages.subarray(right[k] * 784, (right[k] + 1) * 784);
      assert.deepEqual(image.subarray(k * 1296, (k + 1) * 1296), composeCanvas(a, c), `pair ${k}`);
    }
    // Both items are drawn independently from every item of the split.
    assert.ok(new Set(left).size >= 8 && new Set(right).size >= 8);
    assert.ok([...left].some((l, k) => l !== right[k]));
    // Test pairs come from the test files: every canvas matches some (i, j) of the test images with those labels.
    const testLabels = [3, 1, 4, 1, 5, 9, 2];
    const timg = b.test!.inputs.image.data as Float32Array;
    for (let k = 0; k < 15; k++) {
      const got = timg.subarray(k * 1296, (k + 1) * 1296);
      const found = testLabels.some((li, i) => testLabels.some((lj, j) => li === b.test!.targets.left.data[k] && lj === b.test!.targets.right.data[k] && composeCanvas(testImages.subarray(i * 784, (i + 1) * 784), testImages.subarray(j * 784, (j + 1) * 784)).every((v, p) => v === got[p])));
      assert.ok(found, `test pair ${k} is composed of two test items with its labels`);
    }
  });

  it('is deterministic in the seed (data.seed overrides the spec seed)', async () => {
    const a = await make();
    const b = await make();
    assert.deepEqual(a, b);
    const c = await make({}, { seed: 12, specDir: tmp });
    assert.notDeepEqual(c.train.inputs.image.data, a.train.inputs.image.data);
    assert.notDeepEqual(c.train.targets.left.data, a.train.targets.left.data);
    const d = await make({ seed: 11 }, { seed: 999, specDir: tmp });
    assert.deepEqual(d, a);
    // More training pairs extend the sequence and leave the test pairs alone.
    const e = await make({ trainSize: 50 });
    assert.deepEqual(e.train.targets.left.data.subarray(0, 40), a.train.targets.left.data);
    assert.deepEqual(e.test, a.test);
  });

  it('describe() matches what create() returns, without reading files', async () => {
    const cfg = { type: 'multifashion', dir: '/no/such/folder' };
    const d = multifashionData.describe(cfg);
    assert.deepEqual(d.splits, ['train', 'test']);
    const b = await make();
    for (const split of [b.train, b.test!]) {
      for (const [name, spec] of Object.entries(d.inputs)) {
        const col = split.inputs[name];
        assert.deepEqual(col.shape, spec.shape);
        assert.ok(spec.dtype === 'float32' ? col.data instanceof Float32Array : col.data instanceof Int32Array);
        assert.equal(col.data.length, split.size * 36 * 36);
        assert.ok(col.data.every((v) => v >= 0 && v <= 1));
      }
      assert.deepEqual(Object.keys(split.targets).sort(), Object.keys(d.targets).sort());
      for (const [name, t] of Object.entries(d.targets)) {
        assert.equal(t.type, 'classification');
        assert.equal(t.classes, 10);
        const col = split.targets[name];
        assert.deepEqual(col.shape, []);
        assert.ok(col.data instanceof Int32Array);
        assert.equal(col.data.length, split.size);
        assert.equal(col.mask, undefined);
      }
    }
  });

  it('defaults to the bundled subset', async () => {
    const b = await read(await multifashionData.create({ type: 'multifashion', trainSize: 30, testSize: 20 }, ctx));
    const bundled = path.join(packageRoot(), 'datasets', 'fashion-mnist');
    assert.equal(b.source, `${bundled} (Fashion-MNIST, 30 train / 20 test pairs)`);
    assert.equal(b.train.size, 30);
    assert.equal(b.test!.size, 20);
    assert.equal(b.train.inputs.image.data.length, 30 * 1296);
    assert.ok(new Set(b.train.targets.left.data).size > 5);
  });

  it('missing files: a data error per file, with a hint', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    writeSplit(empty, 'train', 2, 3);
    await assert.rejects(multifashionData.create({ type: 'multifashion', dir: empty }, ctx), (e: unknown) => {
      assert.ok(e instanceof MtlError);
      assert.equal(e.kind, 'data');
      assert.deepEqual(e.problems.map((p) => p.where.file), [path.join(empty, FILES.test.images), path.join(empty, FILES.test.labels)]);
      assert.match(e.message, /Fashion-MNIST file not found \(install the Debian package dataset-fashion-mnist .*or omit data\.dir/);
      return true;
    });
  });

  it('bad labels and mismatched files are data errors naming the file (and row)', async () => {
    const bad = path.join(tmp, 'bad');
    fs.mkdirSync(bad);
    writeSplit(bad, 'train', 3, 4, [0, 12, 1]);
    writeSplit(bad, 'test', 2, 5);
    await assert.rejects(multifashionData.create({ type: 'multifashion', dir: bad }, ctx), (e: unknown) => {
      assert.ok(e instanceof MtlError && e.kind === 'data');
      assert.deepEqual(e.problems[0].where, { file: path.join(bad, FILES.train.labels), row: 2 });
      assert.match(e.message, /label 12 is not a Fashion-MNIST class/);
      return true;
    });
    writeIdx(path.join(bad, FILES.train.labels), { dtype: 'uint8', dims: [2], data: Uint8Array.from([0, 1]) });
    await assert.rejects(multifashionData.create({ type: 'multifashion', dir: bad }, ctx), /2 labels for 3 images/);
    writeIdx(path.join(bad, FILES.train.images), { dtype: 'uint8', dims: [2, 14, 14], data: new Uint8Array(2 * 196) });
    await assert.rejects(multifashionData.create({ type: 'multifashion', dir: bad }, ctx), /not a Fashion-MNIST image file \(received "uint8 \[2, 14, 14\]"/);
  });

  it('rejects bad options when called without schema validation', () => {
    assert.throws(() => multifashionData.describe({ type: 'multifashion', trainSize: 0 }), /trainSize is out of range \(received 0; allowed: ≥ 1\)/);
    assert.throws(() => multifashionData.describe({ type: 'multifashion', size: 3 }), /unknown option "size"/);
  });
});
