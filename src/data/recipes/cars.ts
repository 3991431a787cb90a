// Owns the `cars` data recipe: the classic Auto MPG table (406 cars of 1970–1982, StatLib; as shipped
// by the npm package vega-datasets, BSD-3-Clause), read from node_modules at run time. Tasks mpg
// (regression, miles per gallon) and origin (USA, Europe, Japan); input: six z-scored numeric features.
//
// Missing values: a car without mpg has mask 0 for that task (its row still trains origin); a
// missing feature (horsepower, 6 cars) is replaced by the training mean, i.e. 0 after z-scoring.
// Means and standard deviations come from the training rows only, so no test statistic leaks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataError } from '../../errors';
import { mixSeed, mulberry32, shuffleInPlace } from '../../util/random';
import { int, num as numOption, opts, type Options as OptionsOf } from '../../util/options';
import { readOptions } from '../options';
import { CategoryEncoder } from '../files/category-encoder';
import type { Encoded, Encoder } from '../files/encoder';
import { getField } from '../files/fields';
import { NumericEncoder } from '../files/numeric-encoder';
import type { DataRecord, Report } from '../formats/record';
import type { ArraySet, DataBundle, DataContext, DataDescription, DataDescriptor, PredictEncoding } from '../types';

/** Input columns, in the order of the `features` vector. */
export const FEATURES = ['cylinders', 'displacement', 'horsepower', 'weight', 'acceleration', 'year'] as const;
export const ORIGINS = ['USA', 'Europe', 'Japan'] as const;

/** Field of the vega-datasets table each feature comes from. */
const FIELD: Record<(typeof FEATURES)[number], string> = {
  cylinders: 'Cylinders',
  displacement: 'Displacement',
  horsepower: 'Horsepower',
  weight: 'Weight_in_lbs',
  acceleration: 'Acceleration',
  year: 'Year',
};

const recipeOptions = opts({
  testFraction: numOption({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.2, description: 'Fraction of the cars held out as the test split (drawn by seed)' }),
  seed: int({ description: 'Seed of the train/test split. Default: the spec seed' }),
});
const schema = recipeOptions.schema;
type Options = OptionsOf<typeof recipeOptions>;

const options = (config: Record<string, unknown>) => readOptions('cars', schema, config) as Options;

/** One car as parsed: null where the table has no value. */
export interface CarRow {
  mpg: number | null;
  origin: number | null;
  features: Array<number | null>;
}

/** Where vega-datasets keeps cars.json (its package exports hide the data folder from require). */
export function carsFile(): string {
  const candidates = (require.resolve.paths('vega-datasets') ?? []).map((d) => path.join(d, 'vega-datasets', 'data', 'cars.json'));
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) {
    throw dataError([{ where: { path: 'data' }, message: 'the cars table is not installed (npm package vega-datasets)', hint: 'run npm install in the mtl folder' }]);
  }
  return found;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Year "1970-01-01" → 1970 (the table stores model years as dates). */
function year(v: unknown): number | null {
  if (typeof v === 'number') return num(v);
  const m = typeof v === 'string' ? /^(\d{4})/.exec(v) : null;
  return m ? Number(m[1]) : null;
}

/** Parse the raw table; a row that is not an object, or an unknown origin, is a data error. */
export function parseCars(raw: unknown, file: string): CarRow[] {
  if (!Array.isArray(raw)) throw dataError([{ where: { file }, message: 'expected a JSON array of cars', received: typeof raw }]);
  return raw.map((r, i) => {
    if (typeof r !== 'object' || r === null) throw dataError([{ where: { file, row: i + 1 }, message: 'expected an object', received: r }]);
    const o = r as Record<string, unknown>;
    let origin: number | null = null;
    if (o.Origin !== null && o.Origin !== undefined) {
      origin = ORIGINS.indexOf(o.Origin as (typeof ORIGINS)[number]);
      if (origin < 0) throw dataError([{ where: { file, row: i + 1 }, message: 'unknown origin', received: o.Origin, allowed: ORIGINS.join(', ') }]);
    }
    return { mpg: num(o.Miles_per_Gallon), origin, features: FEATURES.map((f) => (f === 'year' ? year(o[FIELD[f]]) : num(o[FIELD[f]]))) };
  });
}

export function readCars(): CarRow[] {
  const file = carsFile();
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw dataError([{ where: { file }, message: `cannot read the cars table: ${(e as Error).message}` }]);
  }
  return parseCars(raw, file);
}

/** Rows of the test split (sorted), fixed by seed: round(testFraction·n) of them, at least 1. */
export function testRows(n: number, testFraction: number, seed: number): Set<number> {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(p, mulberry32(mixSeed(seed, 0xca5)));
  return new Set(p.slice(0, Math.min(n - 1, Math.max(1, Math.round(testFraction * n)))));
}

/** Mean and standard deviation of each feature over the given rows' present values (sd 1 if constant). */
export function featureStats(rows: CarRow[]): { mean: number[]; sd: number[] } {
  const mean: number[] = [];
  const sd: number[] = [];
  FEATURES.forEach((_, j) => {
    const vs = rows.map((r) => r.features[j]).filter((v): v is number => v !== null);
    const m = vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : 0;
    const v = vs.length ? vs.reduce((a, b) => a + (b - m) * (b - m), 0) / vs.length : 0;
    mean.push(m);
    sd.push(v > 0 ? Math.sqrt(v) : 1);
  });
  return { mean, sd };
}

/** An ArraySet of the rows, z-scored with `stats`; missing features become 0 (the training mean). */
export function toArraySet(rows: CarRow[], stats: { mean: number[]; sd: number[] }): ArraySet {
  const d = FEATURES.length;
  const features = new Float32Array(rows.length * d);
  const mpg = new Float32Array(rows.length);
  const mpgMask = new Uint8Array(rows.length);
  const origin = new Int32Array(rows.length);
  const originMask = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    r.features.forEach((v, j) => (features[i * d + j] = v === null ? 0 : (v - stats.mean[j]) / stats.sd[j]));
    if (r.mpg !== null) {
      mpg[i] = r.mpg;
      mpgMask[i] = 1;
    }
    if (r.origin !== null) {
      origin[i] = r.origin;
      originMask[i] = 1;
    }
  });
  return {
    size: rows.length,
    inputs: { features: { data: features, shape: [d] } },
    targets: {
      mpg: { data: mpg, shape: [1], mask: mpgMask },
      origin: { data: origin, shape: [], ...(originMask.every((m) => m === 1) ? {} : { mask: originMask }) },
    },
  };
}

/**
 * `mtl predict`: a car as the table writes it (Cylinders, Displacement, …, Year) → the z-scored
 * features, with the training rows' statistics; a missing value becomes the training mean, as in training.
 */
class CarFeatures implements Encoder {
  readonly key = 'inputs.features';
  readonly shape = [FEATURES.length];
  readonly dtype = 'float32';
  readonly perToken = false;
  readonly learns = false;
  readonly fields = FEATURES.map((f) => FIELD[f]);
  constructor(private readonly stats: { mean: number[]; sd: number[] }) {}
  fit(): void {}
  finish(): unknown {
    return undefined;
  }
  load(): void {}
  info(): Record<string, unknown> {
    return { ...this.stats };
  }
  encode(rec: DataRecord, report: Report): Encoded | null {
    // A missing value is the training mean, but a row with none of the fields (other column names) is
    // not a car with every value missing: it would be predicted from the means alone.
    const raws = this.fields.map((f) => getField(rec, f));
    if (raws.every((r) => r === undefined)) {
      report({ where: rec.where, message: `${this.key}: the row has none of the fields the model reads`, received: Object.keys(rec.fields).slice(0, 8).join(', ') || 'no fields', allowed: this.fields.join(', ') });
      return null;
    }
    const data = new Float32Array(FEATURES.length);
    for (const [j, f] of FEATURES.entries()) {
      const raw = raws[j];
      const v = f === 'year' ? year(raw) : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : num(raw);
      if (raw !== undefined && raw !== null && raw !== '' && (v === null || !Number.isFinite(v))) {
        report({ where: rec.where, message: `${this.key}: non-numeric value in "${FIELD[f]}"`, received: raw, allowed: f === 'year' ? 'a year (1970) or a date (1970-01-01)' : 'numbers' });
        return null;
      }
      data[j] = v === null ? 0 : (v - this.stats.mean[j]) / this.stats.sd[j];
    }
    return { data };
  }
}

/** What a run of the cars recipe saves in RUN/data-state.json: the training cars' feature statistics. */
interface CarsState {
  version?: number;
  features?: { mean: number[]; sd: number[] };
}

/** The training cars' statistics (of this split), from the table. */
function trainStats(o: Options, ctx: DataContext): { mean: number[]; sd: number[] } {
  const rows = readCars();
  const test = testRows(rows.length, o.testFraction, o.seed ?? ctx.seed);
  return featureStats(rows.filter((_, i) => !test.has(i)));
}

/**
 * `mtl predict`: the statistics the run saved (data-state.json), so that a changed table cannot change
 * them; a run saved before they were (none) recomputes them from the table.
 */
function carsPredictEncoding(config: Record<string, unknown>, ctx: DataContext): PredictEncoding {
  const o = options(config);
  const stats = (ctx.state as CarsState | undefined)?.features ?? trainStats(o, ctx);
  const origin = { field: 'Origin', type: 'classification' as const, classes: ORIGINS.length, categories: [...ORIGINS] };
  return {
    inputs: [['features', new CarFeatures(stats)]],
    targets: [
      ['mpg', new NumericEncoder('targets.mpg', { field: 'Miles_per_Gallon' }, [1], 'regression')],
      ['origin', new CategoryEncoder('targets.origin', origin, ORIGINS.length, 'target')],
    ],
    classNames: { origin: [...ORIGINS] },
    reader: { format: 'json' },
  };
}

export const carsData: DataDescriptor = {
  type: 'cars',
  description: 'Auto MPG (406 cars, 1970–82; vega-datasets): input features (6 z-scored numbers); tasks mpg (regression, masked where missing) and origin (USA, Europe, Japan)',
  schema,

  describe(config: Record<string, unknown>): DataDescription {
    options(config);
    return {
      inputs: { features: { shape: [FEATURES.length], dtype: 'float32' } },
      targets: { mpg: { type: 'regression', dim: 1 }, origin: { type: 'classification', classes: ORIGINS.length } },
      splits: ['train', 'test'],
    };
  },

  predictEncoding: carsPredictEncoding,

  async create(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle> {
    const o = options(config);
    const rows = readCars();
    const test = testRows(rows.length, o.testFraction, o.seed ?? ctx.seed);
    const trainRows = rows.filter((_, i) => !test.has(i));
    const testRowsList = rows.filter((_, i) => test.has(i));
    // eval and resume z-score with the run's statistics (data-state.json).
    const stats = (ctx.state as CarsState | undefined)?.features ?? featureStats(trainRows);
    return {
      train: toArraySet(trainRows, stats),
      test: toArraySet(testRowsList, stats),
      source: `${carsFile()} (Auto MPG, ${trainRows.length} train / ${testRowsList.length} test cars)`,
      state: { version: 1, features: stats } satisfies CarsState,
    };
  },
};
