// Owns reading a user's file for `mtl predict RUN INPUT`: the encoders that turn its records into model
// inputs (the recipe's, with what the run learnt loaded from RUN/data-state.json; otherwise one field
// of raw values per model input), optional labels, and batches of good rows. A row the encoders cannot
// read is handed to the caller as problems (file:row) and left out, or ends the pass with --strict;
// rows are read as the batches are consumed, so memory holds one batch of rows whatever the file size
// (idx/npy INPUT, one file per field resolved in predict-arrays.ts, is read whole, as in training).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataError, usageError, type Problem, type Where } from '../errors';
import type { Batch } from './batching';
import { UNKNOWN_WORD } from './categorical';
import { arrayFormat, checkArrayRows, folderFields, namedFields } from './predict-arrays';
import { CategoryEncoder } from './files/category-encoder';
import { EmbeddingEncoder } from './files/embedding-encoder';
import type { Encoder } from './files/encoder';
import { RawInputEncoder } from './files/raw-encoder';
import { batchOf, encodeRow, type Prepared, type Row } from './files/rows';
import { readRecords } from './formats/readers';
import { FORMATS, type DataRecord, type Format, type ReaderOptions } from './formats/record';
import { dataRecipes } from './index';
import type { RunDataSpec } from './run-data';
import { prefetch } from './source';
import type { PredictEncoding } from './types';

export type ModelInputs = Record<string, { shape: number[]; dtype?: 'float32' | 'int32' }>;

/** A user's file bound to the run's encoders. */
export interface InputPlan {
  reader: ReaderOptions;
  prepared: Prepared;
  classNames: Record<string, string[]>;
  targetScales: Record<string, { mean: number[]; std: number[] }>;
}

/** Where one predicted row came from: its index among INPUT's records (from 0) and its place in the file. */
export interface InputRow {
  index: number;
  where: Where;
  /** The words of the first token input, when there is one (entity text). */
  words?: string[];
}

export interface InputStats {
  records: number;
  skipped: number;
  /** Most encoded rows held at once (the batch being filled). */
  maxRowsHeld: number;
  /** Per embedded input, the values of the kept rows that the training vocabulary lacks (given the out-of-vocabulary id). */
  outOfVocabulary?: Record<string, number>;
}

const EXTENSIONS: Record<string, Format> = { '.csv': 'csv', '.tsv': 'tsv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'json', '.parquet': 'parquet', '.arrow': 'arrow', '.feather': 'arrow', '.conll': 'conll' };

/** The recipe's predict encoding with what the run learnt, or the raw model inputs. */
export function predictEncodingOf(spec: RunDataSpec, modelInputs: ModelInputs, state: unknown): PredictEncoding {
  const r = spec.resolved;
  const recipe = dataRecipes.get(r.data.type);
  const pe = recipe.predictEncoding?.(r.data, { seed: r.seed, specDir: spec.specDir, validation: r.train.validation, ...(state !== undefined ? { state } : {}) }) ?? {};
  return { ...pe, inputs: pe.inputs ?? Object.entries(modelInputs).map(([n, i]) => [n, new RawInputEncoder(n, i.shape, i.dtype ?? 'float32')] as [string, Encoder]) };
}

/** INPUT's format: --input-format, else its extension, else the format of the recipe's own files. */
function formatOf(file: string, pe: PredictEncoding, given?: string): Format {
  if (given !== undefined) {
    if (!(FORMATS as readonly string[]).includes(given)) throw usageError([{ where: {}, message: 'unknown --input-format', received: given, allowed: FORMATS.join(', ') }]);
    return given as Format;
  }
  const f = EXTENSIONS[path.extname(file).toLowerCase()] ?? arrayExtension(file) ?? pe.reader?.format;
  if (!f) throw usageError([{ where: { file }, message: 'cannot tell the format of the input file from its name', allowed: `${Object.keys(EXTENSIONS).join(', ')}, .npy, .idx (.gz)`, hint: 'give --input-format' }]);
  return f;
}

/** The idx/npy file names: .npy; .idx, .idx.gz and the MNIST family's -ubyte(.gz). */
const arrayExtension = (file: string): Format | undefined => (/\.npy$/i.test(file) ? 'npy' : /(\.idx|-ubyte)(\.gz)?$/i.test(file) ? 'idx' : undefined);

/** One idx/npy INPUT file is the one field the model reads (labels optional); a model of several input fields needs them named. */
function singleField(file: string, format: Format, needed: string[]): Record<string, string> {
  if (needed.length === 1) return { [needed[0]]: path.resolve(file) };
  throw usageError([{ where: { file }, message: `format ${format} keeps one file per field, and the model reads ${needed.length} fields (${needed.join(', ')})`, hint: 'give a folder of files named after the fields (<field>.npy, <field>.idx, <field>.idx.gz), or --input FIELD=PATH for each' }]);
}

/**
 * Per row of a batch, the words of its token ids (up to the last non-padding id) by the first input
 * with a vocabulary; undefined when there is none.
 */
export function splitWords(pe: PredictEncoding, inputs: Record<string, { dtype: string; shape: number[]; dataSync(): ArrayLike<number> }>): Array<string[]> | undefined {
  const name = Object.keys(pe.vocabularies ?? {}).find((n) => inputs[n]?.dtype === 'int32' && inputs[n].shape.length === 2);
  if (name === undefined) return undefined;
  const vocab = pe.vocabularies![name];
  const [b, steps] = inputs[name].shape;
  const ids = inputs[name].dataSync();
  return Array.from({ length: b }, (_, i) => {
    let len = steps;
    while (len > 0 && ids[i * steps + len - 1] === 0) len--;
    return Array.from({ length: len }, (_, s) => vocab[ids[i * steps + s]] ?? UNKNOWN_WORD);
  });
}

/** A folder INPUT is an image folder when the format says images; otherwise it holds one file per field. */
function isFieldFolder(file: string, pe: PredictEncoding, given?: string): boolean {
  if ((given ?? pe.reader?.format) === 'images') return false;
  return fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/**
 * INPUT bound to the run's encoders: a file (or an image folder), a folder of one idx/npy file per
 * field, or (a record) the file of each field (--input FIELD=PATH).
 */
export function planInput(input: string | Record<string, string>, pe: PredictEncoding, inputFormat?: string): InputPlan {
  const inputs = pe.inputs!;
  // Only the inputs' fields must be there: labels are optional.
  const needs = { needed: [...new Set(inputs.flatMap(([, e]) => e.fields))], optional: [...new Set((pe.targets ?? []).flatMap(([, e]) => e.fields))] };
  const format = typeof input === 'string' && !isFieldFolder(input, pe, inputFormat) ? formatOf(input, pe, inputFormat) : undefined;
  const fields =
    typeof input !== 'string' ? namedFields(input, needs)
    : format === undefined ? folderFields(input, needs)
    : format === 'idx' || format === 'npy' ? singleField(input, format, needs.needed)
    : undefined;
  const name = typeof input === 'string' ? input : Object.entries(input).map(([f, p]) => `${f}=${p}`).join(' ');
  let reader: ReaderOptions;
  if (fields) reader = { format: arrayFormat(fields, inputFormat, format ?? pe.reader?.format), paths: [], files: fields, chunkSize: 1 << 20, ...needs };
  else {
    const file = input as string;
    const same = pe.reader?.format === format;
    reader = {
      format: format!,
      paths: [path.resolve(file)],
      ...(same && pe.reader?.delimiter !== undefined ? { delimiter: pe.reader.delimiter } : {}),
      ...(same && pe.reader?.columns !== undefined ? { columns: pe.reader.columns } : {}),
      chunkSize: 1 << 20,
      ...needs,
    };
  }
  return { reader, prepared: { name, reader, streaming: true, inputs, targets: pe.targets ?? [] }, classNames: pe.classNames ?? {}, targetScales: pe.targetScales ?? {} };
}

/** A problem with the whole file (no such column, an empty file) rather than with one row. */
const fileLevel = (p: Problem) => (p.where.row === undefined && p.where.line === undefined) || /^no column|in the header|file is empty/.test(p.message);

/** Encode one record; its problems (and labels outside a learnt category list under unseen: error) go to `problems`. */
function encodeRecord(p: Prepared, rec: DataRecord, problems: Problem[]): Row | null {
  const row = encodeRow(p, rec, (x) => problems.push(x));
  for (const [, e] of p.targets) {
    if (!(e instanceof CategoryEncoder)) continue;
    for (const [label, u] of e.drainUnseen()) {
      if (e.unseenPolicy === 'error') problems.push({ where: u.where, message: `${e.key}: label ${JSON.stringify(label)} is not one of the categories learnt in training`, hint: 'leave the label out to predict the row' });
    }
  }
  return problems.length ? null : row;
}

/**
 * Batches of INPUT's good rows, in file order. `onProblems` receives each bad row's problems (the row
 * is left out); with `strict` the first bad row is a data error instead.
 */
export function inputBatches(plan: InputPlan, opts: { batchSize: number; strict?: boolean; stats?: InputStats }, onProblems: (ps: Problem[]) => void): AsyncIterable<{ batch: Batch; rows: InputRow[] }> {
  return prefetchRows(readBatches(plan, opts, onProblems));
}

async function* readBatches(plan: InputPlan, opts: { batchSize: number; strict?: boolean; stats?: InputStats }, onProblems: (ps: Problem[]) => void): AsyncGenerator<{ batch: Batch; rows: InputRow[] }> {
  const stats = opts.stats ?? { records: 0, skipped: 0, maxRowsHeld: 0 };
  const bad = (ps: Problem[]) => {
    stats.skipped++;
    if (opts.strict) throw dataError(ps);
    onProblems(ps);
  };
  const readerReport = (p: Problem) => {
    if (fileLevel(p)) throw dataError([p]);
    bad([p]);
  };
  const wordsOf = plan.prepared.inputs.map(([, e]) => e).find((e) => e.words);
  let rows: Row[] = [];
  let info: InputRow[] = [];
  const files = plan.reader.files;
  for await (const rec of readRecords(plan.reader, readerReport)) {
    const problems: Problem[] = [];
    const index = stats.records++;
    if (files && index === 0) checkArrayRows(rec, files, [...plan.prepared.inputs, ...plan.prepared.targets]);
    const row = encodeRecord(plan.prepared, rec, problems);
    // The embedding encoders count each row's out-of-vocabulary values; only kept rows' are reported.
    for (const [name, e] of plan.prepared.inputs) {
      const oov = e instanceof EmbeddingEncoder ? e.drainCounts().oov : 0;
      if (row && oov) (stats.outOfVocabulary ??= {})[name] = (stats.outOfVocabulary[name] ?? 0) + oov;
    }
    if (!row) {
      bad(problems);
      continue;
    }
    rows.push(row);
    const words = wordsOf?.words!(rec);
    info.push({ index, where: rec.where, ...(words ? { words } : {}) });
    stats.maxRowsHeld = Math.max(stats.maxRowsHeld, rows.length);
    if (rows.length === opts.batchSize) {
      yield { batch: batchOf(plan.prepared, rows), rows: info };
      rows = [];
      info = [];
    }
  }
  if (rows.length) yield { batch: batchOf(plan.prepared, rows), rows: info };
}

/** prefetch() for batches that carry their rows' places. */
async function* prefetchRows(it: AsyncGenerator<{ batch: Batch; rows: InputRow[] }>): AsyncGenerator<{ batch: Batch; rows: InputRow[] }> {
  const places: InputRow[][] = [];
  async function* batchesOnly(): AsyncGenerator<Batch> {
    for await (const x of it) {
      places.push(x.rows);
      yield x.batch;
    }
  }
  for await (const batch of prefetch(batchesOnly())) yield { batch, rows: places.shift()! };
}
