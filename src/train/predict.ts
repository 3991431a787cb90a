// Owns `mtl predict`: a run's spec and data state (the preprocessing learnt in training), one
// checkpoint, the eval forward pass (inference mode, the same decoding as the metrics, e.g. Viterbi for
// CRF heads) on a split of the run's data or on a user's file, and one output row per input row,
// emitted as the batches arrive (a streamed source or a large file stays in bounded memory). Each row
// names its classes, gives regression values in the target's units, tags and entity spans, and the
// outputs of the model's distance layers (Siamese networks).
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { selectBackend, type BackendName } from '../backend/select';
import { disposeBatch, type Batch } from '../data/batching';
import { inputBatches, planInput, predictEncodingOf, splitWords, type InputRow, type InputStats } from '../data/predict-input';
import { loadData, splitsFor } from '../data/run-data';
import { toBatchSource } from '../data/source';
import { readDataState } from '../data/state';
import { usageError, type Problem } from '../errors';
import { taskRuntimes, toPredictions, type TaskRuntime } from '../eval/evaluate';
import { decodeTask, type TaskDecoding, type TaskPrediction } from '../eval/predictions';
import { writeMasks } from './predict-masks';
import { loadModelFiles } from '../model/files';
import type { PredictEncoding } from '../data/types';
import type { ResolvedSpec, Spec } from '../spec/types';
import { restoreGlobalRandom, seedGlobalRandom } from '../util/global-random';
import { checkpointDir, loadRunSpec } from './run-eval';
import { lockHolder, recoverRunDir } from './run-folder';
import { ensureEpochLine } from './recorder';
import { readRunStatus, type RunStatus } from './run-status';

export type { TaskPrediction } from '../eval/predictions';
export type PredictSplit = 'train' | 'val' | 'test';

export interface PredictOptions {
  /** Told how far the run got (after a kill's recovery) before any row is predicted. */
  onRunStatus?: (s: RunStatus) => void;
  /** A split of the run's own data read from files that changed since training (see data/files/fingerprint.ts). */
  onWarning?: (message: string) => void;
  /** best, last, or the path of a checkpoint folder. */
  checkpoint?: string;
  split?: PredictSplit;
  /**
   * A user's file to predict instead of a split (any supported format with the data's fields), or a
   * folder of one idx/npy file per field named after it (<field>.npy, <field>.idx, <field>.idx.gz).
   */
  input?: string;
  /** Instead of `input`: the idx/npy file of each field (--input FIELD=PATH). */
  inputFields?: Record<string, string>;
  /** INPUT's format when its extension does not say it. */
  inputFormat?: string;
  /** The first row of INPUT the preprocessing cannot read is a data error (otherwise reported and left out). */
  strict?: boolean;
  /** INPUT's bad rows (left out), one call per row. */
  onProblems?: (ps: Problem[]) => void;
  /** Filled while INPUT is read: records, rows left out, most rows held at once. */
  inputStats?: InputStats;
  backend?: BackendName;
  /** Classes listed per classification row (most probable first). */
  topK?: number;
  /** Include each row's label (when it has one) next to the prediction. */
  labels?: boolean;
  batchSize?: number;
  /** Also predict the auxiliary tasks (tasks.<t>.auxiliary); default: main tasks only. */
  auxiliary?: boolean;
  /** Regression values of a z-scored target in its units (default true); false: as the model outputs them. */
  denormalize?: boolean;
  /** Folder for the PNG masks of per-pixel tasks (default: RUN/masks-<split>, or RUN/masks-<INPUT's name>). */
  masks?: string;
}

export interface PredictionRow {
  /** The row's index in the split, or among INPUT's records (from 0). */
  row: number;
  tasks: Record<string, TaskPrediction>;
  /** Outputs of the model's distance layers (Siamese networks), by backbone node (else layer name). */
  distances?: Record<string, number>;
}

export interface PredictSummary {
  rows: number;
  seconds: number;
  checkpoint: string;
  split?: PredictSplit;
  input?: string;
  /** INPUT's rows left out because the preprocessing could not read them. */
  skipped: number;
  /** Per embedded input, INPUT's values the training vocabulary lacks (each got the out-of-vocabulary id). */
  outOfVocabulary?: Record<string, number>;
}

/** Everything one batch's forward pass needs. */
interface Predictor {
  model: tf.LayersModel;
  /** The model with the distance layers' outputs appended (the model itself when it has none). */
  net: tf.LayersModel;
  distanceNames: string[];
  inputNames: string[];
  tasks: TaskRuntime[];
  decodings: Record<string, TaskDecoding>;
  opts: Required<Pick<PredictOptions, 'topK' | 'labels' | 'auxiliary' | 'masks'>>;
}

/** The model plus the outputs of its distance layers (each applied once), so one pass gives both. */
function withDistances(model: tf.LayersModel): { net: tf.LayersModel; names: string[] } {
  const layers = model.layers.filter((l) => l.getClassName() === 'MtlDistance' && l.inboundNodes.length === 1);
  if (!layers.length) return { net: model, names: [] };
  const outputs = [...model.outputs, ...layers.map((l) => l.output as tf.SymbolicTensor)];
  // Layer `shared_<node>_distance` of a backbone graph node is reported as <node>.
  return { net: tf.model({ inputs: model.inputs, outputs }), names: layers.map((l) => l.name.replace(/^shared_/, '').replace(/_distance$/, '')) };
}

/** Names (learnt categories, a recipe's class list, or an entity metric's tags), target statistics and the accuracy threshold per task. */
export function decodingsOf(r: ResolvedSpec, classNames: Record<string, string[]>, scales: Record<string, { mean: number[]; std: number[] }>, denormalize: boolean): Record<string, TaskDecoding> {
  const out: Record<string, TaskDecoding> = {};
  for (const [t, task] of Object.entries(r.tasks)) {
    const tags = task.metrics.map((m) => (m as { tags?: unknown }).tags).find((x): x is string[] => Array.isArray(x));
    const names = classNames[t] ?? tags;
    // The accuracy metric's threshold (its option, default 0.5) decides a binary/multilabel output's 0/1.
    const threshold = task.metrics.map((m) => (m.type === 'accuracy' ? (m as { threshold?: unknown }).threshold : undefined)).find((x): x is number => typeof x === 'number');
    out[t] = { ...(names ? { names } : {}), ...(denormalize && scales[t] ? { scale: scales[t] } : {}), ...(threshold !== undefined ? { threshold } : {}) };
  }
  return out;
}

/** Real tokens per row of a token-level output: the labelled ones, else up to the last non-padding id of an int32 input of as many steps. */
function tokenLengths(b: number, steps: number, labelMask: Float32Array | undefined, ids: Int32Array | undefined): Int32Array {
  const len = new Int32Array(b).fill(steps);
  for (let i = 0; i < b; i++) {
    const last = (a: ArrayLike<number>) => {
      for (let s = steps - 1; s >= 0; s--) if (a[i * steps + s] !== 0) return s + 1;
      return 0;
    };
    const l = labelMask ? last(labelMask) : 0;
    len[i] = l > 0 ? l : ids ? last(ids) : steps;
  }
  return len;
}

function predictBatch(p: Predictor, batch: Batch, rowIds: number[], words?: Array<string[] | undefined>): Array<Omit<PredictionRow, 'row'>> {
  // A scope rather than tf.tidy: what comes out is plain numbers, and every tensor made here is freed.
  tf.engine().startScope();
  try {
    const xs = p.inputNames.map((n) => batch.inputs[n]);
    const out = p.net.predict(xs.length === 1 ? xs[0] : xs, { batchSize: batch.size }) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    const rows: Array<Omit<PredictionRow, 'row'>> = Array.from({ length: batch.size }, () => ({ tasks: {} }));
    p.tasks.forEach((task, t) => {
      if (task.auxiliary && !p.opts.auxiliary) return;
      const y = outs[t];
      const label = batch.targets[task.name];
      let mask = batch.masks[task.name];
      let lengths: Int32Array | undefined;
      if (task.type === 'classification' && y.rank === 3) {
        const [b, steps] = y.shape as number[];
        const tokenMask = mask && mask.rank === 2 ? (mask.dataSync() as Float32Array) : undefined;
        const ids = Object.values(batch.inputs).find((x) => x.dtype === 'int32' && x.rank === 2 && x.shape[1] === steps);
        lengths = tokenLengths(b, steps, tokenMask, ids?.dataSync() as Int32Array | undefined);
        // Unlabelled rows are decoded over their real tokens, as eval decodes labelled ones over the labelled tokens.
        const m = new Float32Array(b * steps);
        for (let i = 0; i < b; i++) {
          const row = tokenMask?.subarray(i * steps, (i + 1) * steps);
          if (row && row.some((v) => v !== 0)) m.set(row, i * steps);
          else m.fill(1, i * steps, i * steps + lengths[i]);
        }
        mask = tf.tensor2d(m, [b, steps]);
      }
      const pred = toPredictions(task, y, { mask, model: p.model });
      const labels = p.opts.labels && label ? { values: label.dataSync(), ...(batch.masks[task.name] ? { mask: batch.masks[task.name]!.dataSync() } : {}) } : undefined;
      if (pred.rank === 4) {
        writeMasks(p.opts.masks, task, pred, rowIds, labels).forEach((d, i) => (rows[i].tasks[task.name] = d));
        return;
      }
      const decoded = decodeTask({ type: task.type, values: pred.dataSync(), shape: pred.shape, ...(labels ? { labels } : {}), ...(lengths ? { lengths } : {}), ...(words ? { words } : {}) }, p.decodings[task.name] ?? {}, p.opts.topK);
      decoded.forEach((d, i) => (rows[i].tasks[task.name] = d));
    });
    p.distanceNames.forEach((name, j) => {
      const d = outs[p.tasks.length + j].dataSync();
      rows.forEach((r, i) => ((r.distances ??= {})[name] = d[i]));
    });
    return rows;
  } finally {
    tf.engine().endScope();
  }
}

async function openPredictor(spec: Spec, ckpt: string, pe: PredictEncoding, opts: PredictOptions, classNames: Record<string, string[]> = {}): Promise<Predictor> {
  const r = spec.resolved;
  const names = { ...(pe.classNames ?? {}), ...classNames };
  const { model } = await loadModelFiles(ckpt);
  const distances = withDistances(model);
  return {
    model,
    net: distances.net,
    distanceNames: distances.names,
    inputNames: Object.keys(r.inputs),
    // The class names the run learnt: an entity metric with `tags: learn` needs them even when no training data is loaded.
    tasks: taskRuntimes(r, names),
    decodings: decodingsOf(r, names, pe.targetScales ?? {}, opts.denormalize ?? true),
    opts: { topK: opts.topK ?? 3, labels: opts.labels ?? true, auxiliary: opts.auxiliary ?? false, masks: opts.masks ?? '' },
  };
}

/** Predict every row of a split of the run's data, or of a user's file (opts.input); `emit` receives the rows in order, batch by batch. */
export async function predictRun(runDir: string, opts: PredictOptions, emit: (row: PredictionRow) => void): Promise<PredictSummary> {
  const which = opts.checkpoint ?? 'best';
  await selectBackend(opts.backend ?? 'auto');
  const spec = loadRunSpec(runDir);
  // As eval: what a kill left is finished or dropped first (unless a live training run owns the
  // folder), so that a partial run's predictions are never taken for a finished model's.
  if (lockHolder(runDir) === undefined) recoverRunDir(runDir, (epoch, step) => ensureEpochLine(runDir, epoch, step));
  opts.onRunStatus?.(readRunStatus(runDir, spec.resolved.train.epochs));
  const ckpt = checkpointDir(runDir, which);
  const state = readDataState(runDir);
  const pe = predictEncodingOf(spec, spec.resolved.inputs, state);
  seedGlobalRandom(spec.resolved.seed);
  try {
    const batchSize = opts.batchSize ?? spec.resolved.train.batchSize;
    let batches: AsyncIterable<{ batch: Batch; rows?: InputRow[] }>;
    let classNames: Record<string, string[]> | undefined;
    const input = opts.input ?? opts.inputFields;
    const inputName = input === undefined ? undefined : typeof input === 'string' ? input : Object.values(input)[0];
    if (input !== undefined) {
      const plan = planInput(input, pe, opts.inputFormat);
      batches = inputBatches(plan, { batchSize, strict: opts.strict, stats: opts.inputStats ??= { records: 0, skipped: 0, maxRowsHeld: 0 } }, opts.onProblems ?? (() => undefined));
    } else {
      const bundle = await loadData(spec, state);
      for (const w of bundle.dataChanged ?? []) opts.onWarning?.(w);
      const data = splitsFor(spec.resolved, bundle)[opts.split ?? 'test'];
      if (!data) throw usageError(`the run has no ${opts.split ?? 'test'} split (train.validation: ${spec.resolved.train.validation})`);
      classNames = bundle.classNames;
      batches = splitBatches(toBatchSource(data).batches({ batchSize, shuffle: false, seed: 0, epoch: 0 }));
    }
    const masks = opts.masks ?? path.join(runDir, `masks-${inputName !== undefined ? path.basename(inputName).replace(/\.[^.]*$/, '') : (opts.split ?? 'test')}`);
    const p = await openPredictor(spec, ckpt, pe, { ...opts, masks }, classNames);
    const started = process.hrtime.bigint();
    let row = 0;
    try {
      for await (const { batch, rows } of batches) {
        try {
          // INPUT's own words, or for a split the words of its token ids (the run's vocabulary).
          const words = rows ? (rows.some((x) => x.words) ? rows.map((x) => x.words) : undefined) : splitWords(pe, batch.inputs);
          const ids = rows ? rows.map((x) => x.index) : Array.from({ length: batch.size }, (_, i) => row + i);
          predictBatch(p, batch, ids, words).forEach((r, i) => {
            emit({ row: rows ? rows[i].index : row, ...r });
            row++;
          });
        } finally {
          disposeBatch(batch);
        }
      }
    } finally {
      // The distance model shares the model's layers and weights: disposing the model frees both.
      p.model.dispose();
    }
    const where = input !== undefined ? { input: typeof input === 'string' ? input : Object.entries(input).map(([f, p]) => `${f}=${p}`).join(' ') } : { split: opts.split ?? 'test' };
    const oov = opts.inputStats?.outOfVocabulary;
    return { rows: row, seconds: Number(process.hrtime.bigint() - started) / 1e9, checkpoint: which, ...where, skipped: opts.inputStats?.skipped ?? 0, ...(oov ? { outOfVocabulary: oov } : {}) };
  } finally {
    restoreGlobalRandom();
  }
}

async function* splitBatches(it: AsyncIterable<Batch>): AsyncGenerator<{ batch: Batch }> {
  for await (const batch of it) yield { batch };
}
