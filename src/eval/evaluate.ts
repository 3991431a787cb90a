// Owns measuring a model on a data split: per-task losses and metrics, accumulated batch by batch
// (the same accumulator serves the training epoch's running metrics).
import * as tf from '@tensorflow/tfjs';
import { batches, disposeBatch, type Batch } from '../data/batching';
import { isBatchSource, type SplitData } from '../data/source';
import type { ArraySet } from '../data/types';
import { losses } from '../losses/index';
import { maskedMean } from '../losses/masked';
import type { LossAux, LossFn } from '../losses/types';
import { metrics } from '../metrics/index';
import { addStats } from '../metrics/summable';
import type { MetricFn, MetricInput } from '../metrics/types';
import type { ResolvedSpec } from '../spec/types';
import type { TaskType } from '../tasks';
import { noBetterThanConstant, type ConstantAnswer } from './constant-answer';

export interface TaskRuntime {
  name: string;
  type: TaskType;
  lossFn: LossFn;
  fromLogits: boolean;
  /** Structured decoding of the head output for metrics (crf-nll: Viterbi paths as one-hot rows). */
  decode?: (yPred: tf.Tensor, aux: LossAux) => tf.Tensor;
  /** Static weight: the combined loss reported everywhere is Σ weight·loss, whatever the strategy. */
  weight: number;
  /** tasks.<t>.auxiliary: left out of the combined loss. */
  auxiliary?: boolean;
  /** reads: the other tasks whose rows the metric also receives (MetricInput.others). */
  metrics: Array<{ key: string; fn: MetricFn; higherIsBetter: boolean; reads?: string[] }>;
  /** The class names the data learnt, for naming a label in a note. */
  classNames?: string[];
}

/** `classNames`: per task, the class names the data learnt (DataBundle.classNames), for `tags: learn`. */
export function taskRuntimes(spec: ResolvedSpec, classNames: Record<string, string[]> = {}): TaskRuntime[] {
  // Metrics that read other tasks (frame-accuracy) see every task's type and class names.
  const all = Object.fromEntries(Object.entries(spec.tasks).map(([name, t]) => [name, { taskType: t.type, classNames: classNames[name] }]));
  return Object.entries(spec.tasks).map(([name, t]) => {
    const ld = losses.get(t.loss.type);
    const lctx = { taskType: t.type, outputDim: 0, taskName: name };
    return {
      name,
      type: t.type,
      lossFn: ld.create(t.loss, lctx),
      fromLogits: ld.fromLogits(t.loss),
      ...(ld.decode ? { decode: ld.decode(t.loss, lctx) } : {}),
      weight: t.weight,
      auxiliary: t.auxiliary === true,
      ...(classNames[name] ? { classNames: classNames[name] } : {}),
      metrics: t.metrics.map((m) => {
        const md = metrics.get(m.type);
        const reads = md.reads(m).map((r) => r.task);
        return { key: md.key(m), fn: md.create(m, { taskType: t.type, classNames: classNames[name], tasks: all }), higherIsBetter: md.higherIsBetter, reads };
      }),
    };
  });
}

/** Head output → what metrics read: probabilities for classification tasks, values for regression. */
export function toPredictions(task: TaskRuntime, output: tf.Tensor, aux?: LossAux): tf.Tensor {
  if (task.decode && aux?.model) return task.decode(output, aux);
  if (!task.fromLogits) return output;
  return task.type === 'classification' ? tf.softmax(output) : task.type === 'regression' ? output : tf.sigmoid(output);
}

export type TaskMetrics = Record<string, number> & { loss: number };
export interface SplitMetrics {
  /** Σ_t weight_t · loss_t over the main (not auxiliary) tasks */
  loss: number;
  tasks: Record<string, TaskMetrics>;
  samples: number;
  /** Tasks with no labelled row in the split (their loss and metrics are NaN); absent when none. */
  unlabelled?: string[];
  /** Classification and binary tasks whose accuracy is no higher than answering the split's most frequent label for every row; absent when none. */
  noBetterThanConstant?: Record<string, ConstantAnswer>;
}

/** Collects per-task loss sums, predictions and targets over many batches. */
export class Accumulator {
  private lossSum: number[];
  private labelled: number[];
  private preds: Float32Array[][];
  private trues: Array<Array<Float32Array | Int32Array>>;
  private predDim: number[];
  /** Token-level tasks: 1 where a kept token begins a new sequence (entity metrics must not join sentences). */
  private starts: Uint8Array[][];
  /** The split row of each kept row (token or pixel rows: of its example), so that metrics can line tasks up. */
  private rows: Int32Array[][];
  /** Per-pixel tasks whose metrics all sum: each metric's summed statistics instead of kept predictions. */
  private sums: Array<number[][] | undefined>;
  /** Tasks another task's metric reads (frame-accuracy): their rows are always kept. */
  private readonly read: Set<string>;
  /** Rows added before the current batch: add `batch.size` after adding every task of a batch. */
  samples = 0;

  constructor(private readonly tasks: TaskRuntime[]) {
    this.starts = tasks.map(() => []);
    this.rows = tasks.map(() => []);
    this.sums = tasks.map(() => undefined);
    this.lossSum = tasks.map(() => 0);
    this.labelled = tasks.map(() => 0);
    this.preds = tasks.map(() => []);
    this.trues = tasks.map(() => []);
    this.predDim = tasks.map(() => 1);
    this.read = new Set(tasks.flatMap((x) => x.metrics.flatMap((m) => m.reads ?? [])));
  }

  /** meanLoss: the batch's masked mean loss of each task; pred/yTrue/mask: that batch's arrays. */
  add(t: number, meanLoss: number, pred: tf.Tensor, yTrue: tf.Tensor, mask?: tf.Tensor): void {
    // A token-level target (indices [b, steps] against a [b, steps, C] output) is measured per token:
    // each token is one row, so metrics and the loss weighting count the labelled tokens only.
    const tokenLevel = pred.rank === 3 && yTrue.rank === 2;
    // A per-pixel head [b, h, w, C] likewise: each pixel is one row.
    const pixelLevel = pred.rank >= 4;
    const n = tokenLevel || pixelLevel ? pred.size / Math.max(pred.shape[pred.rank - 1] as number, 1) : (pred.shape[0] as number);
    const perExample = n / Math.max(pred.shape[0] as number, 1);
    const dim = pred.size / Math.max(n, 1);
    const p = pred.dataSync() as Float32Array;
    const y = yTrue.dataSync() as Float32Array | Int32Array;
    const ydim = y.length / Math.max(n, 1);
    const m = mask?.dataSync();
    // A per-row mask over token rows: each token takes its row's value.
    const per = m && m.length !== n ? n / Math.max(m.length, 1) : 1;
    const kept: number[] = [];
    for (let i = 0; i < n; i++) if (!m || m[per === 1 ? i : Math.floor(i / per)]) kept.push(i);
    const count = kept.length;
    const keepP = new Float32Array(count * dim);
    const keepY = y instanceof Int32Array ? new Int32Array(count * ydim) : new Float32Array(count * ydim);
    const rows = new Int32Array(count);
    const st = new Uint8Array(count);
    kept.forEach((i, k) => {
      keepP.set(p.subarray(i * dim, (i + 1) * dim), k * dim);
      keepY.set(y.subarray(i * ydim, (i + 1) * ydim), k * ydim);
      rows[k] = this.samples + Math.floor(i / perExample);
      st[k] = k === 0 || rows[k] !== rows[k - 1] ? 1 : 0;
    });
    this.keep(t, pixelLevel, { yPred: keepP, yTrue: keepY, n: count, predDim: dim, rows });
    if (tokenLevel) this.starts[t].push(st);
    this.predDim[t] = dim;
    this.lossSum[t] += meanLoss * count;
    this.labelled[t] += count;
  }

  /** Keep a batch's labelled predictions and targets — or, for a per-pixel task whose metrics all sum, only their statistics. */
  private keep(t: number, pixelLevel: boolean, b: MetricInput & { rows: Int32Array }): void {
    const metricFns = this.tasks[t].metrics.map((m) => m.fn.summable);
    if (pixelLevel && !this.read.has(this.tasks[t].name) && metricFns.every((m) => m !== undefined)) {
      const sums = (this.sums[t] ??= metricFns.map(() => []));
      metricFns.forEach((m, k) => addStats(sums[k], m!.stats(b)));
      return;
    }
    this.preds[t].push(b.yPred);
    this.trues[t].push(b.yTrue);
    this.rows[t].push(b.rows);
  }

  /** Task t's kept rows over every batch, as a metric reads them. */
  private input(t: number): MetricInput {
    const yPred = concat(this.preds[t], Float32Array) as Float32Array;
    const yTrue = concat(this.trues[t], this.trues[t][0] instanceof Int32Array ? Int32Array : Float32Array);
    const rows = concat(this.rows[t], Int32Array) as Int32Array;
    const sequenceStarts = this.starts[t].length ? concat(this.starts[t], Uint8Array) : undefined;
    return { yTrue, yPred, n: this.labelled[t], predDim: this.predDim[t], rows, ...(sequenceStarts ? { sequenceStarts } : {}) };
  }

  result(): SplitMetrics {
    const tasks: Record<string, TaskMetrics> = {};
    const inputs = new Map<string, MetricInput>();
    const inputOf = (name: string) => {
      if (!inputs.has(name)) inputs.set(name, this.input(this.tasks.findIndex((x) => x.name === name)));
      return inputs.get(name)!;
    };
    let combined = 0;
    let constants: Record<string, ConstantAnswer> | undefined;
    this.tasks.forEach((task, t) => {
      const loss = this.labelled[t] ? this.lossSum[t] / this.labelled[t] : NaN;
      if (!task.auxiliary) combined += task.weight * loss;
      const out = { loss } as TaskMetrics;
      const n = this.labelled[t];
      const sums = this.sums[t];
      task.metrics.forEach((m, k) => {
        const others = m.reads?.length ? { others: Object.fromEntries(m.reads.map((r) => [r, inputOf(r)])) } : {};
        if (!n) out[m.key] = NaN;
        else if (sums) out[m.key] = m.fn.summable!.value(sums[k]);
        else out[m.key] = m.fn({ ...inputOf(task.name), ...others });
      });
      tasks[task.name] = out;
      const constant = this.constantAnswer(t, out.accuracy);
      if (constant) (constants ??= {})[task.name] = constant;
    });
    const unlabelled = this.tasks.filter((_, t) => !this.labelled[t]).map((task) => task.name);
    return { loss: combined, tasks, samples: this.samples, ...(unlabelled.length ? { unlabelled } : {}), ...(constants ? { noBetterThanConstant: constants } : {}) };
  }

  /** Task t's constant answer when its accuracy does not beat it (classification and one-output binary tasks whose rows are kept). */
  private constantAnswer(t: number, accuracy: number | undefined): ConstantAnswer | undefined {
    const task = this.tasks[t];
    if (accuracy === undefined || this.sums[t] || !this.trues[t].length) return undefined;
    if (task.type !== 'classification' && !(task.type === 'binary' && this.predDim[t] === 1)) return undefined;
    const yTrue = concat(this.trues[t], this.trues[t][0] instanceof Int32Array ? Int32Array : Float32Array);
    return noBetterThanConstant(yTrue, this.labelled[t], this.predDim[t], accuracy, task.classNames);
  }
}

function concat<A extends Float32Array | Int32Array | Uint8Array>(chunks: A[], Ctor: { new (n: number): A }): A {
  const out = new Ctor(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Forward the whole split in inference mode (dropout off, batch-norm moving statistics). */
export function evaluateSet(model: tf.LayersModel, inputNames: string[], tasks: TaskRuntime[], set: ArraySet, batchSize: number): SplitMetrics {
  const acc = new Accumulator(tasks);
  for (const batch of batches(set, { batchSize, shuffle: false, seed: 0, epoch: 0 })) evaluateBatch(model, inputNames, tasks, acc, batch, batchSize);
  return acc.result();
}

/**
 * evaluateSet for any split: in memory or a batch source (streamed files, task-specific datasets). The
 * event loop runs between batches, so Ctrl-C is handled during a long evaluation; when `signal` aborts
 * it stops after the current batch (the caller discards that partial result).
 */
export async function evaluateSource(model: tf.LayersModel, inputNames: string[], tasks: TaskRuntime[], data: SplitData, batchSize: number, signal?: AbortSignal): Promise<SplitMetrics> {
  const acc = new Accumulator(tasks);
  const opts = { batchSize, shuffle: false, seed: 0, epoch: 0 };
  for await (const batch of isBatchSource(data) ? data.batches(opts) : batches(data, opts)) {
    evaluateBatch(model, inputNames, tasks, acc, batch, batchSize);
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) break;
  }
  return acc.result();
}

/** Adds one batch to `acc` and frees the batch. */
function evaluateBatch(model: tf.LayersModel, inputNames: string[], tasks: TaskRuntime[], acc: Accumulator, batch: Batch, batchSize: number): void {
  tf.tidy(() => {
    const xs = inputNames.map((n) => batch.inputs[n]);
    const out = model.predict(xs.length === 1 ? xs[0] : xs, { batchSize }) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    tasks.forEach((task, t) => {
      const y = batch.targets[task.name];
      const mask = batch.masks[task.name];
      const loss = maskedMean(task.lossFn(y, outs[t], { mask, model }), mask).dataSync()[0];
      acc.add(t, loss, toPredictions(task, outs[t], { mask, model }), y, mask);
    });
  });
  acc.samples += batch.size;
  disposeBatch(batch);
}
