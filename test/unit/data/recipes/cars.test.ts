// The cars recipe on the real vega-datasets table: describe() agreeing with create(), a seeded
// 80/20 split covering every car once, masks exactly where the table lacks mpg, missing features
// replaced by the training mean, z-scores from training statistics only, and parse errors.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { carsData, carsFile, FEATURES, ORIGINS, parseCars } from '../../../../src/data/recipes/cars';
import { dataRecipes } from '../../../../src/data/index';
import type { ArraySet } from '../../../../src/data/types';
import { MtlError } from '../../../../src/errors';

const raw = JSON.parse(fs.readFileSync(carsFile(), 'utf8')) as Array<Record<string, unknown>>;
const ctx = { seed: 42, specDir: '/' };
const cfg = { type: 'cars' };

const column = (set: ArraySet, j: number) => Array.from({ length: set.size }, (_, i) => set.inputs.features.data[i * FEATURES.length + j]);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('cars', () => {
  it('is registered; describe() matches create()', async () => {
    assert.equal(dataRecipes.get('cars'), carsData);
    assert.equal(carsData.schema.additionalProperties, false);
    const d = carsData.describe(cfg);
    const b = await carsData.create(cfg, ctx);
    for (const set of [b.train, b.test!]) {
      assert.deepEqual(set.inputs.features.shape, d.inputs.features.shape);
      assert.ok(set.inputs.features.data instanceof Float32Array);
      assert.equal(set.inputs.features.data.length, set.size * 6);
      assert.deepEqual(set.targets.mpg.shape, [d.targets.mpg.dim]);
      assert.equal(set.targets.mpg.mask!.length, set.size);
      assert.deepEqual(set.targets.origin.shape, []);
      assert.ok(set.targets.origin.data instanceof Int32Array);
      assert.ok(set.targets.origin.data.every((v) => v >= 0 && v < d.targets.origin.classes!));
    }
    assert.deepEqual(d.splits, ['train', 'test']);
  });

  it('splits every car exactly once, 20% to test, by seed', async () => {
    const b = await carsData.create(cfg, ctx);
    assert.equal(b.train.size + b.test!.size, raw.length);
    assert.equal(b.test!.size, Math.round(0.2 * raw.length));
    // mpg (float32, or its absence) and origin of every car, as a multiset, is the table's.
    const key = (set: ArraySet, i: number) => `${set.targets.mpg.mask![i] ? set.targets.mpg.data[i] : 'none'}|${ORIGINS[set.targets.origin.data[i]]}`;
    const got = [...Array(b.train.size).keys()].map((i) => key(b.train, i)).concat([...Array(b.test!.size).keys()].map((i) => key(b.test!, i)));
    const want = raw.map((r) => `${typeof r.Miles_per_Gallon === 'number' ? Math.fround(r.Miles_per_Gallon) : 'none'}|${r.Origin}`);
    assert.deepEqual(got.sort(), want.sort());
    const again = await carsData.create(cfg, ctx);
    assert.deepEqual(again, b);
    const other = await carsData.create(cfg, { ...ctx, seed: 43 });
    assert.notDeepEqual(other.test!.targets.origin.data, b.test!.targets.origin.data);
    assert.deepEqual(await carsData.create({ ...cfg, seed: 43 }, ctx), other);
    const half = await carsData.create({ ...cfg, testFraction: 0.5 }, ctx);
    assert.equal(half.test!.size, raw.length / 2);
  });

  it('rows without mpg have mask 0, as many as the raw table has', async () => {
    const missing = raw.filter((r) => r.Miles_per_Gallon === null || r.Miles_per_Gallon === undefined).length;
    assert.ok(missing > 0, 'the table has cars without mpg');
    const b = await carsData.create(cfg, ctx);
    let zeros = 0;
    for (const set of [b.train, b.test!]) {
      const m = set.targets.mpg.mask!;
      for (let i = 0; i < set.size; i++) {
        if (m[i] === 0) zeros++;
        else assert.ok(set.targets.mpg.data[i] >= 5 && set.targets.mpg.data[i] <= 60, 'a labelled mpg is a plausible value');
      }
      assert.equal(set.targets.origin.mask, undefined, 'origin is never missing');
    }
    assert.equal(zeros, missing);
  });

  it('z-scores with training statistics; a missing horsepower becomes the training mean (0)', async () => {
    const b = await carsData.create(cfg, ctx);
    FEATURES.forEach((f, j) => {
      const train = column(b.train, j);
      assert.ok(Math.abs(mean(train)) < 1e-5, `${f}: training mean 0`);
      const sd = Math.sqrt(mean(train.map((v) => v * v)));
      assert.ok(sd > 0.95 && sd <= 1 + 1e-5, `${f}: training sd ≈ 1 (${sd})`);
    });
    // Recompute horsepower's training mean from the table and locate the cars without it.
    const rows = parseCars(raw, 'cars.json');
    const hp = FEATURES.indexOf('horsepower');
    const missingHp = rows.filter((r) => r.features[hp] === null).length;
    assert.ok(missingHp > 0);
    const zerosHp = [...column(b.train, hp), ...column(b.test!, hp)].filter((v) => v === 0).length;
    assert.equal(zerosHp, missingHp);
    // The test split is scaled with the training statistics, so its mean is not exactly 0.
    assert.ok(FEATURES.some((_, j) => Math.abs(mean(column(b.test!, j))) > 1e-3));
    // The year is the model year: 1970..1982 spans about 3.6 training sds.
    const year = column(b.train, FEATURES.indexOf('year'));
    assert.ok(Math.max(...year) - Math.min(...year) > 3 && Math.max(...year) - Math.min(...year) < 4.5);
  });

  it('parse errors name the row', () => {
    assert.throws(() => parseCars([{ Origin: 'USA' }, { Origin: 'Mars' }], 'x.json'), (e: unknown) => e instanceof MtlError && e.kind === 'data' && e.problems[0].where.row === 2 && /unknown origin/.test(e.message));
    assert.throws(() => parseCars({}, 'x.json'), /expected a JSON array/);
    const [r] = parseCars([{ Miles_per_Gallon: null, Year: '1975-01-01', Origin: 'Japan', Horsepower: 'n/a' }], 'x.json');
    assert.deepEqual(r, { mpg: null, origin: 2, features: [null, null, null, null, null, 1975] });
  });

  it('rejects bad options', () => {
    assert.throws(() => carsData.describe({ type: 'cars', testFraction: 1 }), /testFraction is out of range \(received 1; allowed: < 1\)/);
    assert.throws(() => carsData.describe({ type: 'cars', split: 0.2 }), /unknown option "split"/);
  });
});
