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
import type { MetricFn } from '../metrics/types';
import type { ResolvedSpec } from '../spec/types';
import type { TaskType } from '../tasks';

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
  metrics: Array<{ key: string; fn: MetricFn; higherIsBetter: boolean }>;
}

/** `classNames`: per task, the class names the data learnt (DataBundle.classNames), for `tags: learn`. */
export function taskRuntimes(spec: ResolvedSpec, classNames: Record<string, string[]> = {}): TaskRuntime[] {
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
      metrics: t.metrics.map((m) => {
        const md = metrics.get(m.type);
        return { key: md.key(m), fn: md.create(m, { taskType: t.type, classNames: classNames[name] }), higherIsBetter: md.higherIsBetter };
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
  /** Per-pixel tasks whose metrics all sum: each metric's summed statistics instead of kept predictions. */
  private sums: Array<number[][] | undefined>;
  samples = 0;

  constructor(private readonly tasks: TaskRuntime[]) {
    this.starts = tasks.map(() => []);
    this.sums = tasks.map(() => undefined);
    this.lossSum = tasks.map(() => 0);
    this.labelled = tasks.map(() => 0);
    this.preds = tasks.map(() => []);
    this.trues = tasks.map(() => []);
    this.predDim = tasks.map(() => 1);
  }

  /** meanLoss: the batch's masked mean loss of each task; pred/yTrue/mask: that batch's arrays. */
  add(t: number, meanLoss: number, pred: tf.Tensor, yTrue: tf.Tensor, mask?: tf.Tensor): void {
    // A token-level target (indices [b, steps] against a [b, steps, C] output) is measured per token:
    // each token is one row, so metrics and the loss weighting count the labelled tokens only.
    const tokenLevel = pred.rank === 3 && yTrue.rank === 2;
    // A per-pixel head [b, h, w, C] likewise: each pixel is one row.
    const pixelLevel = pred.rank >= 4;
    const n = tokenLevel || pixelLevel ? pred.size / Math.max(pred.shape[pred.rank - 1] as number, 1) : (pred.shape[0] as number);
    const dim = pred.size / Math.max(n, 1);
    const p = pred.dataSync() as Float32Array;
    const y = yTrue.dataSync() as Float32Array | Int32Array;
    const m = mask?.dataSync();
    let count = n;
    if (m) {
      count = 0;
      // A per-row mask over token rows: each token takes its row's value.
      const per = m.length === n ? 1 : n / Math.max(m.length, 1);
      const ydim = y.length / Math.max(n, 1);
      const keepP = new Float32Array(p.length);
      const keepY = y instanceof Int32Array ? new Int32Array(y.length) : new Float32Array(y.length);
      for (let i = 0; i < n; i++) {
        if (!m[per === 1 ? i : Math.floor(i / per)]) continue;
        keepP.set(p.subarray(i * dim, (i + 1) * dim), count * dim);
        keepY.set(y.subarray(i * ydim, (i + 1) * ydim), count * ydim);
        count++;
      }
      this.keep(t, pixelLevel, keepP.slice(0, count * dim), keepY.slice(0, count * ydim), count, dim);
    } else {
      this.keep(t, pixelLevel, Float32Array.from(p), y.slice(), count, dim);
    }
    if (tokenLevel) {
      const steps = pred.shape[1] as number;
      const per = m && m.length !== n ? n / Math.max(m.length, 1) : 1;
      const st = new Uint8Array(count);
      for (let i = 0, k = 0, last = -1; i < n; i++) {
        if (m && !m[per === 1 ? i : Math.floor(i / per)]) continue;
        const row = Math.floor(i / steps);
        st[k++] = row !== last ? 1 : 0;
        last = row;
      }
      this.starts[t].push(st);
    }
    this.predDim[t] = dim;
    this.lossSum[t] += meanLoss * count;
    this.labelled[t] += count;
  }

  /** Keep a batch's labelled predictions and targets — or, for a per-pixel task whose metrics all sum, only their statistics. */
  private keep(t: number, pixelLevel: boolean, yPred: Float32Array, yTrue: Float32Array | Int32Array, n: number, predDim: number): void {
    const metricFns = this.tasks[t].metrics.map((m) => m.fn.summable);
    if (pixelLevel && metricFns.every((m) => m !== undefined)) {
      const sums = (this.sums[t] ??= metricFns.map(() => []));
      metricFns.forEach((m, k) => addStats(sums[k], m!.stats({ yTrue, yPred, n, predDim })));
      return;
    }
    this.preds[t].push(yPred);
    this.trues[t].push(yTrue);
  }

  result(): SplitMetrics {
    const tasks: Record<string, TaskMetrics> = {};
    let combined = 0;
    this.tasks.forEach((task, t) => {
      const loss = this.labelled[t] ? this.lossSum[t] / this.labelled[t] : NaN;
      if (!task.auxiliary) combined += task.weight * loss;
      const out = { loss } as TaskMetrics;
      const n = this.labelled[t];
      const yPred = concat(this.preds[t], Float32Array) as Float32Array;
      const yTrue = concat(this.trues[t], this.trues[t][0] instanceof Int32Array ? Int32Array : Float32Array);
      const sequenceStarts = this.starts[t].length ? Uint8Array.from(this.starts[t].flatMap((c) => Array.from(c))) : undefined;
      const sums = this.sums[t];
      task.metrics.forEach((m, k) => {
        if (!n) out[m.key] = NaN;
        else if (sums) out[m.key] = m.fn.summable!.value(sums[k]);
        else out[m.key] = m.fn({ yTrue, yPred, n, predDim: this.predDim[t], ...(sequenceStarts ? { sequenceStarts } : {}) });
      });
      tasks[task.name] = out;
    });
    return { loss: combined, tasks, samples: this.samples };
  }
}

function concat<A extends Float32Array | Int32Array>(chunks: A[], Ctor: { new (n: number): A }): A {
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

/** evaluateSet for any split: in memory or a batch source (streamed files, task-specific datasets). */
export async function evaluateSource(model: tf.LayersModel, inputNames: string[], tasks: TaskRuntime[], data: SplitData, batchSize: number): Promise<SplitMetrics> {
  if (!isBatchSource(data)) return evaluateSet(model, inputNames, tasks, data, batchSize);
  const acc = new Accumulator(tasks);
  for await (const batch of data.batches({ batchSize, shuffle: false, seed: 0, epoch: 0 })) evaluateBatch(model, inputNames, tasks, acc, batch, batchSize);
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
