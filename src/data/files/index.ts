// Owns the `files` data type: the user's own data files (csv, tsv, jsonl, idx, npy, images, conll),
// mapped onto the spec's inputs and tasks, fitted on train (statistics and vocabularies, saved as
// RUN/data-state.json), validated row by row before training, held in memory or streamed in chunks
// through a seeded shuffle buffer, and task-specific sources (one dataset per task) with sampling.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { configError, dataError, type Problem } from '../../errors';
import { mixSeed, mulberry32, shuffleInPlace } from '../../util/random';
import type { Batch, BatchOptions } from '../batching';
import { inputEncoder, targetEncoder, type Encoded, type Encoder, type InputMap, type TargetMap } from './encoders';
import { readRecords } from '../formats/readers';
import { FORMATS, type Format, type ReaderOptions } from '../formats/record';
import { arraySource, isBatchSource, prefetch, unlabelled, type BatchSource, type SplitData } from '../source';
import type { ArraySet, Column, DataBundle, DataContext, DataDescription, DataDescriptor, TargetColumn } from '../types';

export const DATA_STATE_VERSION = 1;
const MAX_PROBLEMS = 20;
const SPLITS = ['train', 'val', 'test'] as const;
type SplitName = (typeof SPLITS)[number];

export interface SourceConfig {
  format: Format;
  path?: string;
  paths?: string[];
  files?: Record<string, string>;
  delimiter?: string;
  columns?: string[];
  streaming?: boolean | 'auto';
}

export interface FilesConfig {
  inputs: Record<string, InputMap>;
  targets?: Record<string, TargetMap>;
  train?: SourceConfig;
  val?: SourceConfig;
  test?: SourceConfig;
  tasks?: Record<string, { target: TargetMap; train: SourceConfig; val?: SourceConfig; test?: SourceConfig }>;
  sampling: 'round-robin' | 'proportional';
  shuffleBuffer: number;
  chunkSize: number;
  streamAbove: number;
}

// ---------------------------------------------------------------- schema

const fieldProps = {
  field: { type: 'string', minLength: 1, description: 'The field (JSONL key, CSV column, CoNLL column name, idx/npy file key, image list column) holding the value' },
  column: { type: 'string', minLength: 1, description: 'Same as field' },
  columns: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'Several numeric columns forming one vector, in order' },
};

const inputSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Which field(s) feed one model input, and how they are encoded',
  properties: {
    ...fieldProps,
    encoding: { type: 'string', enum: ['numeric', 'tokens', 'image', 'category'], default: 'numeric', description: 'numeric: numbers (float32); tokens: text → int32 token ids; image: image file → [height, width, channels] in [0, 1]; category: one categorical value → int32 id (0 = unseen)' },
    shape: { type: 'array', items: { type: 'integer', minimum: 1 }, description: 'numeric: shape of one row (default [number of columns], or [1])' },
    normalize: { type: 'boolean', default: false, description: 'numeric: z-score each feature with the training mean and standard deviation' },
    length: { type: 'integer', minimum: 1, default: 32, description: 'tokens: ids per row; longer texts are truncated, shorter ones padded with 0' },
    vocabulary: { type: 'integer', minimum: 3, default: 10000, description: 'tokens: at most this many ids, including 0 (padding) and 1 (out of vocabulary); the embedding inputDim' },
    minCount: { type: 'integer', minimum: 1, default: 1, description: 'tokens: ignore training tokens seen fewer times' },
    lowercase: { type: 'boolean', default: false, description: 'tokens: lowercase the text first' },
    split: { type: 'string', enum: ['whitespace', 'chars'], default: 'whitespace', description: 'tokens: how text becomes tokens (a list value is used as it is)' },
    height: { type: 'integer', minimum: 1, default: 32, description: 'image: rows after bilinear resizing' },
    width: { type: 'integer', minimum: 1, default: 32, description: 'image: columns after bilinear resizing' },
    channels: { type: 'integer', enum: [1, 3], default: 3, description: 'image: 1 (grey) or 3 (RGB)' },
  },
};

const targetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  description: "Which field holds a task's target; empty cells and nulls are missing labels (masked out)",
  properties: {
    ...fieldProps,
    type: { type: 'string', enum: ['classification', 'binary', 'multilabel', 'regression'], description: 'The task type (must match tasks.<name>.type)' },
    classes: { type: 'integer', minimum: 1, description: 'classification: number of classes (the head width, at least 2); multilabel: number of labels' },
    categories: {
      anyOf: [{ type: 'string', enum: ['learn'] }, { type: 'array', minItems: 1, items: { type: 'string' } }],
      description: 'Named labels: "learn" (the sorted labels of the training data) or the list; omitted: labels are class indices 0..classes-1',
    },
    normalize: { type: 'boolean', default: false, description: 'regression: z-score the target with training statistics (losses and metrics are then in standard deviations)' },
    dim: { type: 'integer', minimum: 1, description: 'regression: values per row when one field holds a vector (default 1; with columns: their number)' },
    length: { type: 'integer', minimum: 1, description: 'classification: one tag per token (CoNLL tag column), padded/truncated to this many steps; padding is masked' },
    separator: { type: 'string', minLength: 1, default: '|', description: 'multilabel with categories: separator of the label names in one text field' },
    lowercase: { type: 'boolean', default: false, description: 'classification: lowercase labels first' },
  },
};

const sourceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['format'],
  description: 'One split\'s data: its format and file(s)',
  properties: {
    format: { type: 'string', enum: [...FORMATS], description: 'csv, tsv (header line), jsonl (one JSON object per line), idx, npy (one file per field), images (a folder per class, or a CSV/TSV list file), conll (token per line)' },
    path: { type: 'string', minLength: 1, description: 'The file (or image folder / list file), relative to the spec file' },
    paths: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'Several files of the same format, read in order' },
    files: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, description: 'idx and npy: one file per field, e.g. {image: x.npy, label: y.npy}; the first axis is the example' },
    delimiter: { type: 'string', minLength: 1, maxLength: 1, description: 'csv: field delimiter (default ","; tsv: tab)' },
    columns: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, default: ['token', 'tag'], description: 'conll: names of the token columns, in order' },
    streaming: { anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['auto'] }], default: 'auto', description: 'Read the file in chunks every epoch instead of loading it (auto: when the files exceed streamAbove MB)' },
  },
};

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['inputs'],
  properties: {
    inputs: { type: 'object', minProperties: 1, additionalProperties: inputSchema, description: 'Model input name → field(s) and encoding' },
    targets: { type: 'object', additionalProperties: targetSchema, description: 'Task name → target field (with train/val/test)' },
    train: { ...sourceSchema, description: 'Training data' },
    val: { ...sourceSchema, description: 'Validation data (otherwise train.validation holds out a fraction of train)' },
    test: { ...sourceSchema, description: 'Test data' },
    tasks: {
      type: 'object',
      description: 'Task-specific datasets instead of train/val/test: task → {target, train, val, test}; each batch labels one task',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['target', 'train'],
        properties: { target: targetSchema, train: sourceSchema, val: sourceSchema, test: sourceSchema },
      },
    },
    sampling: { type: 'string', enum: ['round-robin', 'proportional'], default: 'round-robin', description: 'tasks: which task the next training batch comes from — in turn (an epoch ends when the largest task has been seen once), or at random in proportion to the tasks\' sizes (every row once per epoch)' },
    shuffleBuffer: { type: 'integer', minimum: 1, default: 10000, description: 'Streamed sources: rows held in the seeded shuffle buffer' },
    chunkSize: { type: 'integer', minimum: 1024, default: 1048576, description: 'Streamed sources: characters per read from disk' },
    streamAbove: { type: 'number', minimum: 0, default: 256, description: 'streaming: auto streams sources whose files exceed this many MB' },
  },
};

// ---------------------------------------------------------------- config

function options(config: Record<string, unknown>): FilesConfig {
  const c = config as unknown as FilesConfig;
  const problems: Problem[] = [];
  const hasSplits = c.train !== undefined || c.val !== undefined || c.test !== undefined || c.targets !== undefined;
  if (c.tasks && hasSplits) problems.push({ where: { path: 'data.tasks' }, message: 'give either tasks (one dataset per task) or targets with train/val/test, not both' });
  if (!c.tasks && (!c.train || !c.targets)) problems.push({ where: { path: 'data' }, message: 'the files data type needs targets and a train source (or tasks)' });
  const checkSource = (s: SourceConfig | undefined, at: string) => {
    if (!s) return;
    if ((s.format === 'idx' || s.format === 'npy') && !s.files) problems.push({ where: { path: `${at}.files` }, message: `format ${s.format} reads one file per field: give files: {<field>: <file>}` });
    else if (s.format !== 'idx' && s.format !== 'npy' && !s.path && !s.paths) problems.push({ where: { path: at }, message: 'give path (or paths)' });
  };
  for (const s of SPLITS) checkSource(c[s], `data.${s}`);
  for (const [t, tc] of Object.entries(c.tasks ?? {})) for (const s of SPLITS) checkSource(tc[s], `data.tasks.${t}.${s}`);
  const checkTarget = (m: TargetMap, at: string) => {
    if (!m.field && !m.column && !m.columns) problems.push({ where: { path: at }, message: 'name the target field (field, column or columns)' });
    if (m.type === 'classification' && m.classes === undefined) problems.push({ where: { path: `${at}.classes` }, message: 'a classification target needs classes (the head width)' });
    if (m.type === 'classification' && m.classes !== undefined && m.classes < 2) problems.push({ where: { path: `${at}.classes` }, message: 'a classification target needs at least 2 classes', received: m.classes, hint: 'for one yes/no label use type: binary' });
    if (m.type === 'multilabel' && !m.columns && m.classes === undefined && !Array.isArray(m.categories)) problems.push({ where: { path: `${at}.classes` }, message: 'a multilabel target in one field needs classes or a categories list' });
  };
  for (const [t, m] of Object.entries(c.targets ?? {})) checkTarget(m, `data.targets.${t}`);
  for (const [t, tc] of Object.entries(c.tasks ?? {})) checkTarget(tc.target, `data.tasks.${t}.target`);
  for (const [n, m] of Object.entries(c.inputs ?? {})) if (!m.field && !m.column && !m.columns) problems.push({ where: { path: `data.inputs.${n}` }, message: 'name the input field (field, column or columns)' });
  if (problems.length) throw configError(problems);
  return { ...c, sampling: c.sampling ?? 'round-robin', shuffleBuffer: c.shuffleBuffer ?? 10000, chunkSize: c.chunkSize ?? 1 << 20, streamAbove: c.streamAbove ?? 256 };
}

function targetMaps(c: FilesConfig): Record<string, TargetMap> {
  return c.tasks ? Object.fromEntries(Object.entries(c.tasks).map(([t, tc]) => [t, tc.target])) : c.targets ?? {};
}

export function describeFiles(config: Record<string, unknown>): DataDescription {
  const c = options(config);
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([n, m]) => {
    const e = inputEncoder(n, m);
    return [n, { shape: e.shape, dtype: e.dtype }];
  }));
  const targets: DataDescription['targets'] = {};
  for (const [t, m] of Object.entries(targetMaps(c))) {
    const e = targetEncoder(t, m);
    targets[t] = { type: m.type, ...(m.type === 'classification' ? { classes: m.classes } : { dim: e.shape[0] ?? 1 }), ...(e.perToken ? { steps: e.shape[0] } : {}) };
  }
  const has = (s: SplitName) => (c.tasks ? Object.values(c.tasks).every((tc) => tc[s]) : !!c[s]);
  return { inputs, targets, splits: SPLITS.filter((s) => s === 'train' || has(s)) };
}

// ---------------------------------------------------------------- pipeline

/** One readable source bound to its encoders, and (for a held-out split) which rows it keeps. */
interface Prepared {
  name: string;
  reader: ReaderOptions;
  streaming: boolean;
  inputs: Array<[string, Encoder]>;
  targets: Array<[string, Encoder]>;
  holdOut?: { fraction: number; seed: number; keep: 'train' | 'val' };
}

type Row = { inputs: Encoded[]; targets: Encoded[] };

class ProblemList {
  readonly list: Problem[] = [];
  report = (p: Problem): void => {
    this.list.push(p);
    if (this.list.length >= MAX_PROBLEMS) this.throw();
  };
  throw(): never {
    const more = this.list.length >= MAX_PROBLEMS ? [{ where: {}, message: `stopped after ${MAX_PROBLEMS} problems` }] : [];
    throw dataError([...this.list, ...more]);
  }
  check(): void {
    if (this.list.length) this.throw();
  }
}

/** Problems while iterating an already validated source (the file changed underneath): fatal at once. */
const fatal = (p: Problem): never => {
  throw dataError([p]);
};

const heldOut = (h: NonNullable<Prepared['holdOut']>, i: number) => mixSeed(h.seed, 0x7a1, i) / 4294967296 < h.fraction;

/** The records a prepared source keeps (file order), with the row counter used by the hold-out. */
async function* keptRecords(p: Prepared, report: (x: Problem) => void) {
  let i = 0;
  for await (const rec of readRecords(p.reader, report)) {
    const k = i++;
    if (p.holdOut && heldOut(p.holdOut, k) !== (p.holdOut.keep === 'val')) continue;
    yield rec;
  }
}

function encodeRow(p: Prepared, rec: Parameters<Encoder['encode']>[0], report: (x: Problem) => void): Row | null {
  const inputs: Encoded[] = [];
  const targets: Encoded[] = [];
  let ok = true;
  for (const [, e] of p.inputs) {
    const r = e.encode(rec, report);
    if (r) inputs.push(r);
    else ok = false;
  }
  for (const [, e] of p.targets) {
    const r = e.encode(rec, report);
    if (r) targets.push(r);
    else ok = false;
  }
  return ok ? { inputs, targets } : null;
}

function toArraySet(p: Prepared, rows: Row[]): ArraySet {
  const n = rows.length;
  const column = (e: Encoder, get: (r: Row) => Encoded): Column => {
    const len = e.shape.reduce((a, b) => a * b, 1);
    const data = e.dtype === 'int32' ? new Int32Array(n * len) : new Float32Array(n * len);
    rows.forEach((r, i) => data.set(get(r).data, i * len));
    return { data, shape: [...e.shape] };
  };
  const inputs: Record<string, Column> = {};
  p.inputs.forEach(([name, e], k) => (inputs[name] = column(e, (r) => r.inputs[k])));
  const targets: Record<string, TargetColumn> = {};
  p.targets.forEach(([name, e], k) => {
    const col: TargetColumn = column(e, (r) => r.targets[k]);
    const len = e.shape.reduce((a, b) => a * b, 1);
    if (e.perToken) {
      const mask = new Uint8Array(n * len);
      rows.forEach((r, i) => mask.set(r.targets[k].mask as Uint8Array, i * len));
      col.mask = mask;
    } else if (rows.some((r) => r.targets[k].mask === 0)) {
      col.mask = Uint8Array.from(rows, (r) => r.targets[k].mask as number);
    }
    targets[name] = col;
  });
  return { size: n, inputs, targets };
}

function batchOf(p: Prepared, rows: Row[]): Batch {
  const b = rows.length;
  const inputs: Record<string, tf.Tensor> = {};
  const targets: Record<string, tf.Tensor> = {};
  const masks: Record<string, tf.Tensor | undefined> = {};
  const stack = (e: Encoder, get: (r: Row) => Encoded) => {
    const len = e.shape.reduce((x, y) => x * y, 1);
    const data = e.dtype === 'int32' ? new Int32Array(b * len) : new Float32Array(b * len);
    rows.forEach((r, i) => data.set(get(r).data, i * len));
    return tf.tensor(data, [b, ...e.shape], e.dtype);
  };
  p.inputs.forEach(([name, e], k) => (inputs[name] = stack(e, (r) => r.inputs[k])));
  p.targets.forEach(([name, e], k) => {
    targets[name] = stack(e, (r) => r.targets[k]);
    const len = e.shape.reduce((x, y) => x * y, 1);
    if (e.perToken) {
      const m = new Float32Array(b * len);
      rows.forEach((r, i) => m.set(r.targets[k].mask as Uint8Array, i * len));
      masks[name] = tf.tensor(m, [b, ...e.shape], 'float32');
    } else masks[name] = tf.tensor1d(Float32Array.from(rows, (r) => r.targets[k].mask as number), 'float32');
  });
  return { size: b, inputs, targets, masks };
}

/** Instrumentation of a streamed source, read by tests and `npm run bench`. */
export interface StreamStats {
  /** Most encoded rows held at once (shuffle buffer + the batch being filled). */
  maxRowsHeld: number;
  epochs: number;
}

/**
 * A source read from disk every epoch: records → encoded rows → a seeded shuffle buffer (each new
 * row swaps out a random buffered one, as in tf.data's shuffle) → batches. Memory holds at most
 * shuffleBuffer + batchSize rows, whatever the file size.
 */
export class StreamSource implements BatchSource {
  readonly kind = 'batch-source';
  readonly targetNames: string[];
  readonly stats: StreamStats = { maxRowsHeld: 0, epochs: 0 };

  constructor(private readonly p: Prepared, readonly size: number, private readonly bufferRows: number) {
    this.targetNames = p.targets.map(([n]) => n);
  }

  batches(opts: BatchOptions): AsyncIterable<Batch> {
    return prefetch(this.epoch(opts));
  }

  private async *epoch(opts: BatchOptions): AsyncGenerator<Batch> {
    this.stats.epochs++;
    const rand = mulberry32(mixSeed(opts.seed, opts.epoch, 0x5eed));
    const cap = opts.shuffle ? this.bufferRows : 0;
    const buffer: Row[] = [];
    let pending: Row[] = [];
    const held = () => {
      const h = buffer.length + pending.length;
      if (h > this.stats.maxRowsHeld) this.stats.maxRowsHeld = h;
    };
    for await (const rec of keptRecords(this.p, fatal)) {
      const row = encodeRow(this.p, rec, fatal)!;
      if (buffer.length < cap) buffer.push(row);
      else if (cap > 0) {
        const j = Math.floor(rand() * cap);
        pending.push(buffer[j]);
        buffer[j] = row;
      } else pending.push(row);
      held();
      if (pending.length === opts.batchSize) {
        yield batchOf(this.p, pending);
        pending = [];
      }
    }
    shuffleInPlace(buffer, rand);
    for (const row of buffer) {
      pending.push(row);
      if (pending.length === opts.batchSize) {
        yield batchOf(this.p, pending);
        pending = [];
      }
    }
    if (pending.length && !opts.dropRemainder) yield batchOf(this.p, pending);
  }
}

/**
 * Task-specific datasets as one source: each batch comes from one task's source, and the other
 * tasks' targets are zeros with mask 0 (so their losses and metrics ignore it).
 */
export class TaskSampler implements BatchSource {
  readonly kind = 'batch-source';
  readonly size: number;
  readonly targetNames: string[];

  constructor(
    private readonly parts: Array<{ task: string; source: BatchSource }>,
    private readonly shapes: Record<string, { shape: number[]; dtype: 'float32' | 'int32'; perToken: boolean }>,
    private readonly mode: 'round-robin' | 'proportional' | 'sequential',
  ) {
    const sizes = parts.map((x) => x.source.size ?? 0);
    this.size = mode === 'round-robin' ? parts.length * Math.max(...sizes) : sizes.reduce((a, b) => a + b, 0);
    this.targetNames = Object.keys(shapes);
  }

  private complete(b: Batch): Batch {
    for (const [t, s] of Object.entries(this.shapes)) {
      if (b.targets[t]) {
        // Explicit ones, so that every task-sampled batch says which task it labels.
        b.masks[t] ??= tf.ones(s.perToken ? [b.size, ...s.shape] : [b.size], 'float32');
        continue;
      }
      const u = unlabelled(b.size, s.shape, s.dtype, s.perToken);
      b.targets[t] = u.target;
      b.masks[t] = u.mask;
    }
    return b;
  }

  async *batches(opts: BatchOptions): AsyncGenerator<Batch> {
    const T = this.parts.length;
    const open = (k: number, round: number) => this.parts[k].source.batches({ ...opts, epoch: opts.epoch * 1000 + round, seed: mixSeed(opts.seed, k) })[Symbol.asyncIterator]();
    const iters = this.parts.map((_, k) => open(k, 0));
    const rounds = new Array<number>(T).fill(0);
    const remaining = this.parts.map((x) => x.source.size ?? 1);
    const rand = mulberry32(mixSeed(opts.seed, opts.epoch, 0x7a5c));
    try {
      if (this.mode === 'round-robin') {
        const done = new Array<boolean>(T).fill(false);
        for (let k = 0; !done.every(Boolean); k = (k + 1) % T) {
          let r = await iters[k].next();
          if (r.done) {
            done[k] = true;
            if (done.every(Boolean)) break;
            iters[k] = open(k, ++rounds[k]);
            r = await iters[k].next();
            if (r.done) continue;
          }
          yield this.complete(r.value);
        }
      } else {
        const live = this.parts.map((_, k) => k);
        while (live.length) {
          let k: number;
          if (this.mode === 'sequential') k = live[0];
          else {
            const total = live.reduce((s, j) => s + remaining[j], 0);
            let x = rand() * total;
            k = live[live.length - 1];
            for (const j of live) if ((x -= remaining[j]) < 0) { k = j; break; }
          }
          const r = await iters[k].next();
          if (r.done) {
            live.splice(live.indexOf(k), 1);
            continue;
          }
          remaining[k] = Math.max(remaining[k] - r.value.size, 1e-9);
          yield this.complete(r.value);
        }
      }
    } finally {
      for (const it of iters) await it.return?.(undefined);
    }
  }
}

function totalBytes(paths: string[]): number {
  let n = 0;
  for (const p of paths) {
    try {
      n += fs.statSync(p).size;
    } catch {
      // missing files are reported by the reader with their name
    }
  }
  return n;
}

function readerOptions(s: SourceConfig, ctx: DataContext, c: FilesConfig, needed: string[]): ReaderOptions {
  const abs = (p: string) => path.resolve(ctx.specDir, p);
  return {
    format: s.format,
    paths: (s.paths ?? (s.path ? [s.path] : [])).map(abs),
    files: s.files ? Object.fromEntries(Object.entries(s.files).map(([k, v]) => [k, abs(v)])) : undefined,
    delimiter: s.delimiter,
    columns: s.columns,
    chunkSize: c.chunkSize,
    needed,
  };
}

/** Everything create() builds; the bundle plus what `mtl data inspect` reports. */
export async function loadFiles(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle & { encoders: Record<string, Encoder> }> {
  const c = options(config);
  const inputs: Array<[string, Encoder]> = Object.entries(c.inputs).map(([n, m]) => [n, inputEncoder(n, m)]);
  const targetEncs: Record<string, Encoder> = Object.fromEntries(Object.entries(targetMaps(c)).map(([t, m]) => [t, targetEncoder(t, m)]));
  const fraction = typeof ctx.validation === 'number' ? ctx.validation : undefined;

  // Every (task group, split) source, bound to the encoders its rows feed.
  const groups: Array<{ task?: string; splits: Partial<Record<SplitName, SourceConfig>>; targets: Array<[string, Encoder]> }> = c.tasks
    ? Object.entries(c.tasks).map(([t, tc]) => ({ task: t, splits: { train: tc.train, val: tc.val, test: tc.test }, targets: [[t, targetEncs[t]]] as Array<[string, Encoder]> }))
    : [{ splits: { train: c.train, val: c.val, test: c.test }, targets: Object.entries(targetEncs) }];

  const prepared: Array<{ task?: string; split: SplitName; p: Prepared }> = [];
  for (const g of groups) {
    for (const split of SPLITS) {
      let s = g.splits[split];
      let holdOut: Prepared['holdOut'];
      if (split === 'val' && !s && fraction !== undefined) {
        s = g.splits.train;
        holdOut = { fraction, seed: ctx.seed, keep: 'val' };
      }
      if (split === 'train' && !g.splits.val && fraction !== undefined) holdOut = { fraction, seed: ctx.seed, keep: 'train' };
      if (!s) continue;
      const needed = [...new Set([...inputs, ...g.targets].flatMap(([, e]) => e.fields))];
      const reader = readerOptions(s, ctx, c, needed);
      const streaming = s.streaming === true || (s.streaming !== false && totalBytes(reader.paths) > c.streamAbove * 1048576);
      const name = `${g.task ? `tasks.${g.task}.` : ''}${split}`;
      prepared.push({ task: g.task, split, p: { name, reader, streaming, inputs, targets: g.targets, holdOut } });
    }
  }

  // Fit on the training rows (or load what a previous run learnt), validating every row on the way.
  const all: Record<string, Encoder> = Object.fromEntries([...inputs.map(([n, e]) => [`inputs.${n}`, e] as const), ...Object.entries(targetEncs).map(([t, e]) => [`targets.${t}`, e] as const)]);
  const problems = new ProblemList();
  const state = ctx.state as { version?: number; encoders?: Record<string, unknown> } | undefined;
  const sizes: Record<string, number> = {};
  if (state) {
    if (state.version !== DATA_STATE_VERSION || !state.encoders) throw dataError([{ where: { file: 'data-state.json' }, message: 'unrecognised data state', received: state.version, allowed: String(DATA_STATE_VERSION) }]);
    for (const [k, e] of Object.entries(all)) if (e.learns) e.load(state.encoders[k]);
  } else {
    for (const { p, split } of prepared) {
      if (split !== 'train') continue;
      for (const [, e] of p.inputs) if ('checkOnFit' in e) (e as { checkOnFit: boolean }).checkOnFit = p.streaming;
      let n = 0;
      for await (const rec of keptRecords(p, problems.report)) {
        for (const [, e] of [...p.inputs, ...p.targets]) e.fit(rec, problems.report);
        n++;
      }
      sizes[p.name] = n;
    }
    problems.check();
  }
  const encoderStates: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(all)) {
    const s = state ? state.encoders?.[k] : e.finish(problems.report);
    if (s !== undefined) encoderStates[k] = s;
  }
  problems.check();

  // Encode the in-memory sources; count and check the streamed ones.
  const out: Record<string, Array<{ task?: string; data: SplitData }>> = { train: [], val: [], test: [] };
  for (const { task, split, p } of prepared) {
    if (p.streaming) {
      let n = 0;
      if (sizes[p.name] !== undefined && !p.holdOut) n = sizes[p.name];
      else {
        for await (const rec of keptRecords(p, problems.report)) {
          encodeRow(p, rec, problems.report);
          n++;
        }
      }
      out[split].push({ task, data: new StreamSource(p, n, c.shuffleBuffer) });
    } else {
      const rows: Row[] = [];
      for await (const rec of keptRecords(p, problems.report)) {
        const row = encodeRow(p, rec, problems.report);
        if (row) rows.push(row);
      }
      out[split].push({ task, data: toArraySet(p, rows) });
    }
  }
  problems.check();
  for (const split of SPLITS) {
    for (const { task, data } of out[split]) {
      if (data.size === 0) throw dataError([{ where: { path: `data.${task ? `tasks.${task}.` : ''}${split}` }, message: `the ${split} split${task ? ` of task ${task}` : ''} has no rows` }]);
    }
  }

  const shapes = Object.fromEntries(Object.entries(targetEncs).map(([t, e]) => [t, { shape: e.shape, dtype: e.dtype, perToken: e.perToken }]));
  const combine = (split: SplitName): SplitData | undefined => {
    const parts = out[split];
    if (!parts.length) return undefined;
    if (!c.tasks) return parts[0].data;
    if (parts.length < groups.length) return undefined;
    return new TaskSampler(parts.map((x) => ({ task: x.task!, source: isBatchSource(x.data) ? x.data : arraySource(x.data) })), shapes, split === 'train' ? c.sampling : 'sequential');
  };
  const files = prepared.filter((x) => x.split === 'train').flatMap((x) => x.p.reader.paths.length ? x.p.reader.paths : Object.values(x.p.reader.files ?? {}));
  const train = combine('train')!;
  const val = combine('val');
  const test = combine('test');
  const inMemory = [train, val, test].every((x) => x === undefined || !isBatchSource(x));
  const empty: ArraySet = { size: 0, inputs: {}, targets: {} };
  const src = (x: SplitData | undefined) => (x === undefined ? undefined : isBatchSource(x) ? x : arraySource(x));
  return {
    ...(inMemory
      ? { train: train as ArraySet, val: val as ArraySet | undefined, test: test as ArraySet | undefined }
      : { train: empty, val: val && empty, test: test && empty, sources: { train: src(train)!, val: src(val), test: src(test) } }),
    source: `${files.join(', ')} (files${prepared.some((x) => x.p.streaming) ? ', streamed' : ''})`,
    state: { version: DATA_STATE_VERSION, encoders: encoderStates },
    encoders: all,
  };
}

export const files: DataDescriptor = {
  type: 'files',
  description: 'Your own data files: csv, tsv, jsonl, idx, npy, images or conll, mapped onto the inputs and tasks; fitted on train, streamed when large',
  schema,
  describe: describeFiles,
  async create(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle> {
    const { encoders: _e, ...bundle } = await loadFiles(config, ctx);
    return bundle;
  },
};
