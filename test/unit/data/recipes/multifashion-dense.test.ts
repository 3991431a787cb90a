// Dense MultiFashion (dense: true): describe() against create(); segmentation and unmix labels checked
// pixel by pixel against the raw uint8 items (recomputed here, not with the recipe's functions); and
// the per-batch sources giving exactly the batches an in-memory split of the same pairs would.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batches } from '../../../../src/data/batching';
import { writeIdx } from '../../../../src/data/formats/idx';
import { FILES, multifashionData } from '../../../../src/data/recipes/multifashion';
import { splitValidation } from '../../../../src/data/splits';
import type { ArraySet, Column } from '../../../../src/data/types';
import { mulberry32 } from '../../../../src/util/random';
import { materialise } from '../../../helpers/sources';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-mfd-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * Items whose values straddle the threshold: each pixel is 0 (40 %), a faint value 1..12 (20 %) or a
 * bright one; item i has label i, so a pair's labels name its items.
 */
function writeSplit(dir: string, split: 'train' | 'test', n: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const images = Uint8Array.from({ length: n * 784 }, () => {
    const u = rand();
    return u < 0.4 ? 0 : u < 0.6 ? 1 + Math.floor(rand() * 12) : Math.floor(rand() * 256);
  });
  writeIdx(path.join(dir, FILES[split].images), { dtype: 'uint8', dims: [n, 28, 28], data: images });
  writeIdx(path.join(dir, FILES[split].labels), { dtype: 'uint8', dims: [n], data: Uint8Array.from({ length: n }, (_, i) => i) });
  return images;
}

const dir = path.join(tmp, 'items');
let trainItems: Uint8Array;
before(() => {
  fs.mkdirSync(dir);
  trainItems = writeSplit(dir, 'train', 10, 7);
  writeSplit(dir, 'test', 10, 8);
});
const ctx = { seed: 5, specDir: tmp };
const config = (extra: Record<string, unknown> = {}) => ({ type: 'multifashion', dir, dense: true, trainSize: 30, testSize: 12, ...extra });

/** Pixel (r, c) of the canvas as each item contributes it (0 outside the item). */
const leftAt = (item: Uint8Array, r: number, c: number) => (r < 28 && c < 28 ? item[r * 28 + c] : 0);
const rightAt = (item: Uint8Array, r: number, c: number) => (r >= 8 && c >= 8 ? item[(r - 8) * 28 + (c - 8)] : 0);
const item = (i: number) => trainItems.subarray(i * 784, (i + 1) * 784);

describe('dense multifashion', () => {
  it('describe() matches what create() serves: inputs, four targets, per-pixel shapes and dtypes', async () => {
    const d = multifashionData.describe(config({ dir: '/no/such/folder' }));
    assert.deepEqual(d.targets, {
      left: { type: 'classification', classes: 10 },
      right: { type: 'classification', classes: 10 },
      segmentation: { type: 'classification', classes: 3, pixels: [36, 36] },
      unmix: { type: 'regression', dim: 1, pixels: [36, 36] },
    });
    const b = await multifashionData.create(config(), ctx);
    assert.deepEqual(b.classNames, { segmentation: ['background', 'left', 'right'] });
    assert.match(b.source, /30 train \/ 12 test pairs, dense\)$/);
    for (const src of [b.sources!.train, b.sources!.test!]) {
      assert.deepEqual([...src.targetNames].sort(), Object.keys(d.targets).sort());
      const set = await materialise(src);
      assert.equal(set.size, src.size);
      assert.deepEqual(set.inputs.image.shape, d.inputs.image.shape);
      assert.deepEqual(set.targets.segmentation.shape, d.targets.segmentation.pixels);
      assert.ok(set.targets.segmentation.data instanceof Int32Array);
      assert.deepEqual(set.targets.unmix.shape, [...d.targets.unmix.pixels!, d.targets.unmix.dim]);
      assert.ok(set.targets.unmix.data instanceof Float32Array);
      assert.ok(set.targets.segmentation.data.every((v) => v >= 0 && v < 3));
    }
    assert.deepEqual(Object.keys(multifashionData.describe({ type: 'multifashion' }).targets), ['left', 'right']);
  });

  for (const background of [10, 0, 100]) {
    it(`segmentation and unmix follow the raw items pixel by pixel (background ≤ ${background})`, async () => {
      const set = await materialise((await multifashionData.create(config(background === 10 ? {} : { background }), ctx)).sources!.train);
      const seen = [0, 0, 0];
      let overlapped = 0;
      for (let k = 0; k < set.size; k++) {
        const a = item(set.targets.left.data[k]);
        const b = item(set.targets.right.data[k]);
        for (let r = 0; r < 36; r++) {
          for (let c = 0; c < 36; c++) {
            const p = k * 1296 + r * 36 + c;
            const L = leftAt(a, r, c);
            const R = rightAt(b, r, c);
            const canvas = set.inputs.image.data[p];
            const label = set.targets.segmentation.data[p];
            seen[label]++;
            // Left ⇔ the left item's pixel is the canvas maximum (it wins ties) and above the threshold.
            assert.equal(label === 1, L >= R && L > background, `pair ${k} (${r},${c}) left`);
            assert.equal(label === 2, R > L && R > background, `pair ${k} (${r},${c}) right`);
            assert.equal(label === 0, Math.max(L, R) <= background, `pair ${k} (${r},${c}) background`);
            if (label === 1) assert.equal(canvas, Math.fround(L / 255));
            if (label === 2) assert.equal(canvas, Math.fround(R / 255));
            // unmix is the left item alone; where the right item adds nothing it equals the canvas.
            const unmix = set.targets.unmix.data[p];
            assert.equal(unmix, Math.fround(L / 255));
            if (R === 0) assert.equal(unmix, canvas, `pair ${k} (${r},${c}) not overlapped`);
            else if (R > L) overlapped++;
          }
        }
      }
      assert.ok(seen.every((n) => n > 0), `all three classes occur: ${seen}`);
      assert.ok(overlapped > 0, 'some left pixels are hidden by the right item');
    });
  }

  it('serves the batches an in-memory split of the same pairs gives: hold-out, shuffled order, values', async () => {
    const whole = await materialise((await multifashionData.create(config(), ctx)).sources!.train);
    const { train, val } = splitValidation(whole, 0.2, ctx.seed);
    const b = await multifashionData.create(config(), { ...ctx, validation: 0.2 });
    assert.equal(b.sources!.train.size, train.size);
    assert.equal(b.sources!.val!.size, val.size);
    const expectBatches = async (src: NonNullable<typeof b.sources>['train'], set: ArraySet) => {
      const opts = { batchSize: 7, shuffle: true, seed: 3, epoch: 2 };
      const want = [...batches(set, opts)];
      let i = 0;
      for await (const got of src.batches(opts)) {
        for (const kind of ['inputs', 'targets'] as const) {
          for (const [n, t] of Object.entries(want[i][kind])) assert.deepEqual(got[kind][n].dataSync(), t.dataSync(), `batch ${i} ${n}`);
        }
        i++;
      }
      assert.equal(i, want.length);
    };
    await expectBatches(b.sources!.train, train);
    await expectBatches(b.sources!.val!, val);
    const col = (c: Column) => Array.from(c.data);
    assert.deepEqual(col((await materialise(b.sources!.val!)).targets.segmentation), col(val.targets.segmentation));
  });

  it('rejects a background threshold outside 0..254', () => {
    assert.throws(() => multifashionData.describe(config({ background: 255 })), /background is out of range/);
  });
});
