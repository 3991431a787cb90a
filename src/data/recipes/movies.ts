// Owns the `movies` data recipe: 3,201 films (1928–2010) with their budgets, box office and ratings, as
// shipped by the npm package vega-datasets (BSD-3-Clause; the package names no upstream source and says
// the table keeps known data-quality errors on purpose), read from node_modules at run time.
// Tasks: imdb (IMDB rating, 1–10, regression), rotten (Rotten Tomatoes rating / 10, regression), genre
// (major genre, 12 classes). Most films miss at least one label: a missing label has mask 0 for that
// task only. Input `features`: log budget, year, running time (z-scored with training statistics; an
// unknown running time is the training mean plus a 0/1 "known" flag), then one-hot MPAA rating, source,
// creative type and distributor (the 20 most frequent in train, the rest "other"); vocabularies come
// from the training films only, an unseen or missing value is all zeros. With `categories: embedding`
// the categorical fields are instead one int32 id each (inputs mpaa, source, creativeType, distributor,
// and director, hashed), for a features block that embeds each with its own table (movies-embeddings.yaml).
import * as fs from 'node:fs';
import { dataError } from '../../errors';
import { hashedId, learnVocabulary, OOV_ID, PAD_ID, RESERVED_IDS } from '../categorical';
import type { DataRecord } from '../formats/record';
import { readOptions } from '../options';
import { recordEncoders } from '../files/record-encoders';
import type { ArraySet, DataBundle, DataContext, DataDescription, DataDescriptor, PredictEncoding } from '../types';
import { carsFile, testRows } from './cars';

export const GENRES = ['Action', 'Adventure', 'Black Comedy', 'Comedy', 'Concert/Performance', 'Documentary', 'Drama', 'Horror', 'Musical', 'Romantic Comedy', 'Thriller/Suspense', 'Western'] as const;
/** One-hot fields and how many values of each the vocabulary keeps (the most frequent in train). */
const CATEGORICAL = { 'MPAA Rating': 8, Source: 20, 'Creative Type': 10, Distributor: 20 } as const;
type Cat = keyof typeof CATEGORICAL;
const NUMERIC = 4; // log budget, year, running time, running time known

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.2, description: 'Fraction of the films held out as the test split (drawn by seed)' },
    seed: { type: 'integer', description: 'Seed of the train/test split. Default: the spec seed' },
    categories: { type: 'string', enum: ['one-hot', 'embedding'], default: 'one-hot', description: 'one-hot: one input "features" (4 numbers + one-hot blocks); embedding: input "numbers" (the 4 numbers) and one int32 id per field — mpaa, source, creativeType, distributor (0 = missing, 1 = out of vocabulary, 2… values seen at least minCount times in train) and director (hashed into 1000 buckets)' },
    minCount: { type: 'integer', minimum: 1, default: 3, description: 'categories: embedding — a value seen fewer times in the training films is out of vocabulary (id 1)' },
  },
};

interface MoviesOptions {
  testFraction: number;
  seed?: number;
  categories: 'one-hot' | 'embedding';
  minCount: number;
}

const options = (config: Record<string, unknown>) => readOptions('movies', schema, config) as unknown as MoviesOptions;

/** categories: embedding — input name, field, and the ids it may carry (vocabulary cap, or hash buckets + 2). */
const EMBEDDED: Array<{ input: string; field: Cat | 'Director'; ids: number; hashed?: boolean }> = [
  { input: 'mpaa', field: 'MPAA Rating', ids: 16 },
  { input: 'source', field: 'Source', ids: 32 },
  { input: 'creativeType', field: 'Creative Type', ids: 16 },
  { input: 'distributor', field: 'Distributor', ids: 128 },
  { input: 'director', field: 'Director', ids: 1000 + RESERVED_IDS, hashed: true },
];

export interface MovieRow {
  imdb: number | null;
  rotten: number | null;
  genre: number | null;
  budget: number | null;
  year: number | null;
  runtime: number | null;
  cats: Record<Cat | 'Director', string | null>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** "Jun 12 1998" → 1998. The table writes some 1940s films as 204x (two-digit years read as 20xx): a year after 2010 is moved back a century. */
export function releaseYear(v: unknown): number | null {
  const m = typeof v === 'string' ? /(\d{4})\s*$/.exec(v) : null;
  if (!m) return null;
  const y = Number(m[1]);
  return y > 2010 ? y - 100 : y;
}

export function parseMovies(raw: unknown, file: string): MovieRow[] {
  if (!Array.isArray(raw)) throw dataError([{ where: { file }, message: 'expected a JSON array of films', received: typeof raw }]);
  return raw.map((r, i) => {
    if (typeof r !== 'object' || r === null) throw dataError([{ where: { file, row: i + 1 }, message: 'expected an object', received: r }]);
    const o = r as Record<string, unknown>;
    const g = str(o['Major Genre']);
    const genre = g === null ? null : GENRES.indexOf(g as (typeof GENRES)[number]);
    if (genre !== null && genre < 0) throw dataError([{ where: { file, row: i + 1 }, message: 'unknown major genre', received: g, allowed: GENRES.join(', ') }]);
    const rt = num(o['Rotten Tomatoes Rating']);
    const budget = num(o['Production Budget']);
    return {
      imdb: num(o['IMDB Rating']),
      rotten: rt === null ? null : rt / 10,
      genre,
      budget: budget !== null && budget > 0 ? Math.log10(budget) : null,
      year: releaseYear(o['Release Date']),
      runtime: num(o['Running Time min']),
      cats: Object.fromEntries([...Object.keys(CATEGORICAL), 'Director'].map((k) => [k, str(o[k])])) as MovieRow['cats'],
    };
  });
}

export function moviesFile(): string {
  return carsFile().replace(/cars\.json$/, 'movies.json');
}

export function readMovies(): MovieRow[] {
  const file = moviesFile();
  try {
    return parseMovies(JSON.parse(fs.readFileSync(file, 'utf8')), file);
  } catch (e) {
    if ((e as { kind?: string }).kind) throw e;
    throw dataError([{ where: { file }, message: `cannot read the movies table: ${(e as Error).message}`, hint: 'run npm install in the mtl folder (package vega-datasets)' }]);
  }
}

/** What the training films teach the encoding: numeric means/sds and each field's kept values. */
export interface MovieStats {
  mean: number[];
  sd: number[];
  vocab: Record<Cat, string[]>;
}

export function movieStats(rows: MovieRow[]): MovieStats {
  const mean: number[] = [];
  const sd: number[] = [];
  for (const pick of [(r: MovieRow) => r.budget, (r: MovieRow) => r.year, (r: MovieRow) => r.runtime]) {
    const vs = rows.map(pick).filter((v): v is number => v !== null);
    const m = vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : 0;
    const v = vs.length ? vs.reduce((a, b) => a + (b - m) ** 2, 0) / vs.length : 0;
    mean.push(m);
    sd.push(v > 0 ? Math.sqrt(v) : 1);
  }
  const vocab = {} as Record<Cat, string[]>;
  for (const [k, keep] of Object.entries(CATEGORICAL) as Array<[Cat, number]>) {
    const counts = new Map<string, number>();
    for (const r of rows) if (r.cats[k] !== null) counts.set(r.cats[k]!, (counts.get(r.cats[k]!) ?? 0) + 1);
    // The files type's vocabulary rule (ties in code-point order, the same in every locale); its
    // maxIds counts the two reserved ids, which the one-hot columns do not have.
    vocab[k] = learnVocabulary(counts, 1, keep + RESERVED_IDS);
  }
  return { mean, sd, vocab };
}

/** Width of the features vector: 4 numbers, then each categorical field's one-hot block. */
export const featureWidth = () => NUMERIC + Object.values(CATEGORICAL).reduce((a, b) => a + b, 0);

export function toArraySet(rows: MovieRow[], s: MovieStats): ArraySet {
  const d = featureWidth();
  const x = new Float32Array(rows.length * d);
  const reg = (pick: (r: MovieRow) => number | null) => {
    const data = new Float32Array(rows.length);
    const mask = new Uint8Array(rows.length);
    rows.forEach((r, i) => {
      const v = pick(r);
      if (v !== null) [data[i], mask[i]] = [v, 1];
    });
    return { data, mask };
  };
  rows.forEach((r, i) => {
    const o = i * d;
    x[o] = r.budget === null ? 0 : (r.budget - s.mean[0]) / s.sd[0];
    x[o + 1] = r.year === null ? 0 : (r.year - s.mean[1]) / s.sd[1];
    x[o + 2] = r.runtime === null ? 0 : (r.runtime - s.mean[2]) / s.sd[2];
    x[o + 3] = r.runtime === null ? 0 : 1;
    let at = o + NUMERIC;
    for (const [k, width] of Object.entries(CATEGORICAL) as Array<[Cat, number]>) {
      const j = r.cats[k] === null ? -1 : s.vocab[k].indexOf(r.cats[k]!);
      if (j >= 0) x[at + j] = 1;
      at += width;
    }
  });
  const genre = reg((r) => r.genre);
  return {
    size: rows.length,
    inputs: { features: { data: x, shape: [d] } },
    targets: {
      imdb: { ...reg((r) => r.imdb), shape: [1] },
      rotten: { ...reg((r) => r.rotten), shape: [1] },
      genre: { data: Int32Array.from(genre.data), mask: genre.mask, shape: [] },
    },
  };
}

/** categories: embedding — each embedded field's vocabulary (learnt from the training films), or its hashing. */
type EmbeddingState = Record<string, { vocabulary: string[]; pad: number; oov: number } | { hashing: { buckets: number; hash: 'fnv1a32' }; pad: number; oov: number }>;

export function embeddingState(rows: MovieRow[], minCount: number): EmbeddingState {
  const out: EmbeddingState = {};
  for (const e of EMBEDDED) {
    if (e.hashed) {
      out[`inputs.${e.input}`] = { hashing: { buckets: e.ids - RESERVED_IDS, hash: 'fnv1a32' }, pad: PAD_ID, oov: OOV_ID };
      continue;
    }
    const counts = new Map<string, number>();
    for (const r of rows) if (r.cats[e.field] !== null) counts.set(r.cats[e.field]!, (counts.get(r.cats[e.field]!) ?? 0) + 1);
    out[`inputs.${e.input}`] = { vocabulary: learnVocabulary(counts, minCount, e.ids), pad: PAD_ID, oov: OOV_ID };
  }
  return out;
}

/** categories: embedding — the 4 numbers as input "numbers", each field as one id; and its id counts. */
export function toEmbeddedSet(rows: MovieRow[], s: MovieStats, state: EmbeddingState): { set: ArraySet; counts: Record<string, { values: number; oov: number; missing: number }> } {
  const set = toArraySet(rows, s);
  const d = featureWidth();
  const numbers = new Float32Array(rows.length * NUMERIC);
  for (let i = 0; i < rows.length; i++) numbers.set(set.inputs.features.data.subarray(i * d, i * d + NUMERIC), i * NUMERIC);
  const inputs: ArraySet['inputs'] = { numbers: { data: numbers, shape: [NUMERIC] } };
  const counts: Record<string, { values: number; oov: number; missing: number }> = {};
  for (const e of EMBEDDED) {
    const st = state[`inputs.${e.input}`];
    const index = 'vocabulary' in st ? new Map(st.vocabulary.map((v, i) => [v, i + RESERVED_IDS])) : undefined;
    const c = (counts[e.input] = { values: 0, oov: 0, missing: 0 });
    const ids = Int32Array.from(rows, (r) => {
      const v = r.cats[e.field];
      if (v === null) return c.missing++, PAD_ID;
      c.values++;
      const id = index ? index.get(v) ?? OOV_ID : hashedId(v, e.ids - RESERVED_IDS);
      if (id === OOV_ID) c.oov++;
      return id;
    });
    inputs[e.input] = { data: ids, shape: [1] };
  }
  return { set: { ...set, inputs }, counts };
}

function describeInputs(o: MoviesOptions): DataDescription['inputs'] {
  if (o.categories === 'one-hot') return { features: { shape: [featureWidth()], dtype: 'float32' } };
  const inputs: DataDescription['inputs'] = { numbers: { shape: [NUMERIC], dtype: 'float32' } };
  for (const e of EMBEDDED) inputs[e.input] = { shape: [1], dtype: 'int32', ids: e.ids, idsFrom: e.hashed ? `the movies recipe's ${e.field} hashing (${e.ids - RESERVED_IDS} buckets)` : `the movies recipe's ${e.field} vocabulary (at most ${e.ids} ids)` };
  return inputs;
}

/** What a run of the movies recipe saves in RUN/data-state.json: the training films' statistics (and with categories: embedding the vocabularies). */
interface MoviesState {
  version?: number;
  stats?: MovieStats;
  encoders?: EmbeddingState;
}

/** The fields the table holds as JSON numbers: text (a CSV cell) is read as a number, an empty cell as missing. */
const NUMBER_FIELDS = ['Production Budget', 'Running Time min', 'IMDB Rating', 'Rotten Tomatoes Rating'];
/** The fields a film's input features come from (parseMovies). */
const INPUT_FIELDS = ['Production Budget', 'Release Date', 'Running Time min', ...Object.keys(CATEGORICAL), 'Director'];

/** A film of INPUT with its number fields as numbers; a cell that is not a number is a data error at the record. */
function numbersOf(rec: DataRecord): Record<string, unknown> {
  const out = { ...rec.fields };
  for (const f of NUMBER_FIELDS) {
    const v = out[f];
    if (typeof v !== 'string') continue;
    const n = v.trim() === '' ? null : Number(v);
    if (n !== null && !Number.isFinite(n)) throw dataError([{ where: rec.where, message: `non-numeric value in "${f}"`, received: v, allowed: 'numbers, or an empty cell for a missing value' }]);
    out[f] = n;
  }
  return out;
}

/**
 * The training films' statistics and vocabularies: those the run saved (data-state.json), so that a
 * changed table cannot change them; a run saved before they were (none) recomputes them from the table.
 */
function trainingEncoding(o: MoviesOptions, ctx: DataContext): { stats: MovieStats; encoders?: EmbeddingState } {
  const saved = ctx.state as MoviesState | undefined;
  if (saved?.stats && (o.categories === 'one-hot' || saved.encoders)) return { stats: saved.stats, ...(saved.encoders ? { encoders: saved.encoders } : {}) };
  const rows = readMovies();
  const test = testRows(rows.length, o.testFraction, o.seed ?? ctx.seed);
  const trainRows = rows.filter((_, i) => !test.has(i));
  return { stats: movieStats(trainRows), ...(o.categories === 'embedding' ? { encoders: saved?.encoders ?? embeddingState(trainRows, o.minCount) } : {}) };
}

/**
 * `mtl predict RUN INPUT`: films as the table writes them (JSON objects, or CSV/TSV cells under the
 * same field names), encoded by the training code with the training films' statistics.
 */
function moviesPredictEncoding(config: Record<string, unknown>, ctx: DataContext): PredictEncoding {
  const o = options(config);
  const { stats, encoders: state } = trainingEncoding(o, ctx);
  // Every field of a film may be missing (as in training: the mean, an all-zero one-hot block, or id 0), so none is required.
  const fields: string[] = [];
  const parse = (rec: DataRecord) => {
    // Every field may be missing, but a row with none of them (other column names) is not a film with
    // every value missing: it would be predicted from the training means alone.
    if (INPUT_FIELDS.every((f) => rec.fields[f] === undefined)) {
      throw dataError([{ where: rec.where, message: 'the row has none of the fields the model reads', received: Object.keys(rec.fields).slice(0, 8).join(', ') || 'no fields', allowed: INPUT_FIELDS.join(', ') }]);
    }
    return parseMovies([numbersOf(rec)], String(rec.where.file));
  };
  const one = (rec: DataRecord) => (state ? toEmbeddedSet(parse(rec), stats, state).set : toArraySet(parse(rec), stats));
  const shapes = { inputs: describeInputs(o), targets: { imdb: { shape: [1], dtype: 'float32' as const }, rotten: { shape: [1], dtype: 'float32' as const }, genre: { shape: [], dtype: 'int32' as const } } };
  return { ...recordEncoders(fields, one, shapes), classNames: { genre: [...GENRES] }, reader: { format: 'json' } };
}

export const moviesData: DataDescriptor = {
  type: 'movies',
  description: 'Films (3,201, 1928–2010; vega-datasets): input features (4 z-scored numbers + one-hot MPAA, source, creative type, distributor); tasks imdb and rotten (ratings 0–10, regression) and genre (12 major genres), each masked where missing',
  schema,

  describe(config: Record<string, unknown>): DataDescription {
    return {
      inputs: describeInputs(options(config)),
      targets: { imdb: { type: 'regression', dim: 1 }, rotten: { type: 'regression', dim: 1 }, genre: { type: 'classification', classes: GENRES.length } },
      splits: ['train', 'test'],
    };
  },

  predictEncoding: moviesPredictEncoding,

  async create(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle> {
    const o = options(config);
    const rows = readMovies();
    const test = testRows(rows.length, o.testFraction, o.seed ?? ctx.seed);
    const trainRows = rows.filter((_, i) => !test.has(i));
    const testList = rows.filter((_, i) => test.has(i));
    // eval and resume encode with the run's statistics and vocabularies (data-state.json), as the files type does.
    const saved = ctx.state as MoviesState | undefined;
    const stats = saved?.stats ?? movieStats(trainRows);
    const source = `${moviesFile()} (films, ${trainRows.length} train / ${testList.length} test)`;
    if (o.categories === 'one-hot') return { train: toArraySet(trainRows, stats), test: toArraySet(testList, stats), source, state: { version: 1, stats } satisfies MoviesState };
    const state = saved?.encoders ?? embeddingState(trainRows, o.minCount);
    const tr = toEmbeddedSet(trainRows, stats, state);
    const te = toEmbeddedSet(testList, stats, state);
    return { train: tr.set, test: te.set, source, state: { version: 1, stats, encoders: state } satisfies MoviesState, idCounts: { train: tr.counts, test: te.counts } };
  },
};
