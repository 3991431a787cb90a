// Owns measuring a model on a data split: per-task losses and metrics, accumulated batch by batch
// (the same accumulator serves the training epoch's running metrics).
import * as tf from '@tensorflow/tfjs';
import { batches, disposeBatch } from '../data/batching';
import type { ArraySet } from '../data/types';
import { losses } from '../losses/index';
import type { LossFn } from '../losses/types';
import { metrics } from '../metrics/index';
import type { MetricFn } from '../metrics/types';
import { maskedMean } from '../train/step';
import type { ResolvedSpec } from '../spec/types';
import type { TaskType } from '../tasks';

export interface TaskRuntime {
  name: string;
  type: TaskType;
  lossFn: LossFn;
  fromLogits: boolean;
  /** Static weight: the combined loss reported everywhere is Σ weight·loss, whatever the strategy. */
  weight: number;
  metrics: Array<{ key: string; fn: MetricFn; higherIsBetter: boolean }>;
}

export function taskRuntimes(spec: ResolvedSpec): TaskRuntime[] {
  return Object.entries(spec.tasks).map(([name, t]) => {
    const ld = losses.get(t.loss.type);
    return {
      name,
      type: t.type,
      lossFn: ld.create(t.loss, { taskType: t.type, outputDim: 0 }),
      fromLogits: ld.fromLogits(t.loss),
      weight: t.weight,
      metrics: t.metrics.map((m) => {
        const md = metrics.get(m.type);
        return { key: md.key(m), fn: md.create(m, { taskType: t.type }), higherIsBetter: md.higherIsBetter };
      }),
    };
  });
}

/** Head output → what metrics read: probabilities for classification tasks, values for regression. */
export function toPredictions(task: TaskRuntime, output: tf.Tensor): tf.Tensor {
  if (!task.fromLogits) return output;
  return task.type === 'classification' ? tf.softmax(output) : task.type === 'regression' ? output : tf.sigmoid(output);
}

export type TaskMetrics = Record<string, number> & { loss: number };
export interface SplitMetrics {
  /** Σ_t weight_t · loss_t */
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
  samples = 0;

  constructor(private readonly tasks: TaskRuntime[]) {
    this.lossSum = tasks.map(() => 0);
    this.labelled = tasks.map(() => 0);
    this.preds = tasks.map(() => []);
    this.trues = tasks.map(() => []);
    this.predDim = tasks.map(() => 1);
  }

  /** meanLoss: the batch's masked mean loss of each task; pred/yTrue/mask: that batch's arrays. */
  add(t: number, meanLoss: number, pred: tf.Tensor, yTrue: tf.Tensor, mask?: tf.Tensor): void {
    const n = pred.shape[0] as number;
    const dim = pred.size / Math.max(n, 1);
    const p = pred.dataSync() as Float32Array;
    const y = yTrue.dataSync() as Float32Array | Int32Array;
    const m = mask?.dataSync();
    let count = n;
    if (m) {
      count = 0;
      const ydim = y.length / Math.max(n, 1);
      const keepP = new Float32Array(p.length);
      const keepY = y instanceof Int32Array ? new Int32Array(y.length) : new Float32Array(y.length);
      for (let i = 0; i < n; i++) {
        if (!m[i]) continue;
        keepP.set(p.subarray(i * dim, (i + 1) * dim), count * dim);
        keepY.set(y.subarray(i * ydim, (i + 1) * ydim), count * ydim);
        count++;
      }
      this.preds[t].push(keepP.slice(0, count * dim));
      this.trues[t].push(keepY.slice(0, count * ydim));
    } else {
      this.preds[t].push(Float32Array.from(p));
      this.trues[t].push(y.slice());
    }
    this.predDim[t] = dim;
    this.lossSum[t] += meanLoss * count;
    this.labelled[t] += count;
  }

  result(): SplitMetrics {
    const tasks: Record<string, TaskMetrics> = {};
    let combined = 0;
    this.tasks.forEach((task, t) => {
      const loss = this.labelled[t] ? this.lossSum[t] / this.labelled[t] : NaN;
      combined += task.weight * loss;
      const out = { loss } as TaskMetrics;
      const n = this.labelled[t];
      const yPred = concat(this.preds[t], Float32Array) as Float32Array;
      const yTrue = concat(this.trues[t], this.trues[t][0] instanceof Int32Array ? Int32Array : Float32Array);
      for (const m of task.metrics) out[m.key] = n ? m.fn({ yTrue, yPred, n, predDim: this.predDim[t] }) : NaN;
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
  for (const batch of batches(set, { batchSize, shuffle: false, seed: 0, epoch: 0 })) {
    tf.tidy(() => {
      const xs = inputNames.map((n) => batch.inputs[n]);
      const out = model.predict(xs.length === 1 ? xs[0] : xs, { batchSize }) as tf.Tensor | tf.Tensor[];
      const outs = Array.isArray(out) ? out : [out];
      tasks.forEach((task, t) => {
        const y = batch.targets[task.name];
        const mask = batch.masks[task.name];
        const loss = maskedMean(task.lossFn(y, outs[t]), mask).dataSync()[0];
        acc.add(t, loss, toPredictions(task, outs[t]), y, mask);
      });
    });
    acc.samples += batch.size;
    disposeBatch(batch);
  }
  return acc.result();
}
