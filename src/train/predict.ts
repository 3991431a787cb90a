// Owns `mtl predict` on a split of the run's own data source: the run's spec and data state (the
// preprocessing learnt in training), one checkpoint, the eval forward pass (inference mode, the same
// decoding as the metrics, e.g. Viterbi for CRF heads), and one output row per input row, written as
// the batches arrive (a streamed source stays in bounded memory).
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { selectBackend, type BackendName } from '../backend/select';
import { disposeBatch, type Batch } from '../data/batching';
import { loadData, splitsFor } from '../data/run-data';
import { toBatchSource } from '../data/source';
import { readDataState } from '../data/state';
import { checkpointError, usageError } from '../errors';
import { taskRuntimes, toPredictions, type TaskRuntime } from '../eval/evaluate';
import { loadModelFiles } from '../model/files';
import { restoreGlobalRandom, seedGlobalRandom } from '../util/global-random';
import { verifyCheckpoint } from './checkpoint';
import { loadRunSpec } from './run-eval';

export type PredictSplit = 'train' | 'val' | 'test';

export interface PredictOptions {
  checkpoint?: string;
  split?: PredictSplit;
  backend?: BackendName;
  /** Classes listed per classification row (most probable first). */
  topK?: number;
  /** Include each row's label (when the split has one) next to the prediction. */
  labels?: boolean;
  batchSize?: number;
  /** Also predict the auxiliary tasks (tasks.<t>.auxiliary); default: main tasks only. */
  auxiliary?: boolean;
}

/** One task's prediction for one row. */
export type TaskPrediction =
  | { class: number; probability: number; top: Array<[number, number]>; label?: number | null }
  | { classes: number[]; label?: number[] | null }
  | { probabilities: number[]; label?: number[] | null }
  | { value: number[]; label?: number[] | null };

export interface PredictionRow {
  row: number;
  tasks: Record<string, TaskPrediction>;
}

export interface PredictSummary {
  rows: number;
  seconds: number;
  checkpoint: string;
  split: PredictSplit;
}

function checkpointDir(runDir: string, which: string): string {
  const dir = which === 'best' || which === 'last' ? path.join(runDir, 'checkpoints', which) : path.resolve(which);
  if (!fs.existsSync(path.join(dir, 'model.json'))) throw checkpointError(`no checkpoint at ${dir} (model.json is missing)`);
  return dir;
}

function topK(p: ArrayLike<number>, k: number): Array<[number, number]> {
  return Array.from(p, (v, i) => [i, v] as [number, number])
    .sort((a, b) => b[1] - a[1])
    .slice(0, k);
}

/** Rows of one task from a batch's prediction tensor (probabilities or values, after decoding). */
function taskRows(task: TaskRuntime, pred: tf.Tensor, label: tf.Tensor | undefined, mask: tf.Tensor | undefined, k: number): TaskPrediction[] {
  const n = pred.shape[0]!;
  const values = pred.reshape([n, -1]).arraySync() as number[][];
  const labels = label ? (label.reshape([n, -1]).arraySync() as number[][]) : undefined;
  const labelled = mask && mask.rank === 1 ? (mask.arraySync() as number[]) : undefined;
  const labelOf = (i: number) => (labels ? (labelled && labelled[i] === 0 ? null : labels[i]) : undefined);
  return values.map((v, i) => {
    const l = labelOf(i);
    if (task.type === 'classification' && pred.rank === 2) {
      const top = topK(v, k);
      return { class: top[0][0], probability: top[0][1], top, ...(l !== undefined ? { label: l === null ? null : l[0] } : {}) };
    }
    if (task.type === 'classification') {
      const c = pred.shape[pred.rank - 1]!;
      const classes = Array.from({ length: v.length / c }, (_, s) => topK(v.slice(s * c, (s + 1) * c), 1)[0][0]);
      return { classes, ...(l !== undefined ? { label: l } : {}) };
    }
    if (task.type === 'regression') return { value: v, ...(l !== undefined ? { label: l } : {}) };
    return { probabilities: v, ...(l !== undefined ? { label: l } : {}) };
  });
}

function predictBatch(model: tf.LayersModel, inputNames: string[], tasks: TaskRuntime[], batch: Batch, opts: Required<Pick<PredictOptions, 'topK' | 'labels' | 'auxiliary'>>): Array<Record<string, TaskPrediction>> {
  // A scope rather than tf.tidy: what comes out is plain numbers, and every tensor made here is freed.
  tf.engine().startScope();
  try {
    const xs = inputNames.map((n) => batch.inputs[n]);
    const out = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    const rows: Array<Record<string, TaskPrediction>> = Array.from({ length: batch.size }, () => ({}));
    tasks.forEach((task, t) => {
      if (task.auxiliary && !opts.auxiliary) return;
      const mask = batch.masks[task.name];
      const pred = toPredictions(task, outs[t], { mask, model });
      const label = opts.labels ? batch.targets[task.name] : undefined;
      taskRows(task, pred, label, mask, opts.topK).forEach((p, i) => (rows[i][task.name] = p));
    });
    return rows;
  } finally {
    tf.engine().endScope();
  }
}

/** Predict every row of a split of the run's data; `emit` receives the rows in order, batch by batch. */
export async function predictRun(runDir: string, opts: PredictOptions, emit: (row: PredictionRow) => void): Promise<PredictSummary> {
  const split = opts.split ?? 'test';
  const which = opts.checkpoint ?? 'best';
  await selectBackend(opts.backend ?? 'auto');
  const spec = loadRunSpec(runDir);
  const ckpt = checkpointDir(runDir, which);
  seedGlobalRandom(spec.resolved.seed);
  try {
    const bundle = await loadData(spec, readDataState(runDir));
    const data = splitsFor(spec.resolved, bundle)[split];
    if (!data) throw usageError(`the run has no ${split} split (train.validation: ${spec.resolved.train.validation})`);
    // A checkpoint folder of a run carries checksums; a plain model folder (--checkpoint DIR) may not.
    if (fs.existsSync(path.join(ckpt, 'state.json'))) verifyCheckpoint(ckpt);
    const { model } = await loadModelFiles(ckpt);
    const started = process.hrtime.bigint();
    let row = 0;
    try {
      const tasks = taskRuntimes(spec.resolved, bundle.classNames);
      const inputNames = Object.keys(spec.resolved.inputs);
      for await (const batch of toBatchSource(data).batches({ batchSize: opts.batchSize ?? spec.resolved.train.batchSize, shuffle: false, seed: 0, epoch: 0 })) {
        try {
          for (const tasksOfRow of predictBatch(model, inputNames, tasks, batch, { topK: opts.topK ?? 3, labels: opts.labels ?? true, auxiliary: opts.auxiliary ?? false })) emit({ row: row++, tasks: tasksOfRow });
        } finally {
          disposeBatch(batch);
        }
      }
    } finally {
      model.dispose();
    }
    return { rows: row, seconds: Number(process.hrtime.bigint() - started) / 1e9, checkpoint: which, split };
  } finally {
    restoreGlobalRandom();
  }
}
