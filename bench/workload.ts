// Owns the bench's training workloads: one shipped config, its first real batch at a chosen batch
// size, and a steppable model + strategy + optimizer built exactly as `mtl train` builds them.
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { disposeBatch, type Batch } from '../src/data/batching';
import { loadData, splitsFor } from '../src/data/run-data';
import { toBatchSource } from '../src/data/source';
import { taskRuntimes } from '../src/eval/evaluate';
import { buildModel } from '../src/model/build';
import { optimizers } from '../src/optim/optimizers';
import { validateSpecFile } from '../src/spec/validate';
import { disposeStepResult, makeStepParts, trainStep } from '../src/train/step';
import { packageRoot } from '../src/util/paths';
import { strategies } from '../src/weighting/index';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Workload {
  name: string;
  batch: Batch;
  /** One training step (forward, backward, update); resolves when its results are downloaded. */
  step(): void;
  /** The model's trainable weights, downloaded. */
  weights(): Float32Array[];
  dispose(): void;
}

/** The first training batch of configs/<name>.yaml, `batchSize` rows (the config's own if omitted). */
export async function firstBatch(name: string, batchSize?: number): Promise<{ spec: ReturnType<typeof validateSpecFile>; batch: Batch }> {
  const spec = validateSpecFile(path.join(packageRoot(), 'configs', `${name}.yaml`));
  const r = spec.resolved;
  const splits = splitsFor(r, await loadData(spec));
  const it = toBatchSource(splits.train).batches({ batchSize: batchSize ?? r.train.batchSize, shuffle: true, seed: r.seed, epoch: 1, dropRemainder: true });
  for await (const batch of it) return { spec, batch };
  throw new Error(`${name}: no training batch of ${batchSize} rows`);
}

/** A model of configs/<name>.yaml ready to train on one fixed batch (the same batch each step). */
export async function workload(name: string, batchSize?: number): Promise<Workload> {
  const { spec, batch } = await firstBatch(name, batchSize);
  const r = spec.resolved;
  const built = buildModel(r);
  const tasks = taskRuntimes(r);
  const strategy = strategies.get(r.weighting.method).create(r.weighting, { taskNames: built.taskNames, taskWeights: tasks.map((t) => t.weight), seed: r.seed });
  const parts = makeStepParts(built, tasks.map((t) => t.lossFn), strategy, optimizers.get(r.train.optimizer.type).create(r.train.optimizer, undefined));
  let step = 0;
  const lr = (r.train.optimizer as { learningRate?: number }).learningRate ?? 0.001;
  return {
    name,
    batch,
    step() {
      const res = trainStep(parts, batch, { step: step++, epoch: 1, learningRate: lr, epochLosses: [] });
      res.taskLosses.dataSync();
      disposeStepResult(res);
    },
    weights: () => built.model.trainableWeights.map((v) => v.read().dataSync() as Float32Array),
    dispose() {
      parts.opt.optimizer.dispose();
      built.model.dispose();
      strategy.dispose();
      disposeBatch(batch);
    },
  };
}

export interface KernelShare {
  kernel: string;
  ms: number;
  share: number;
  /** cpuProfileKernels only: the row's wall time per step (CPU ÷ wall: the threads it kept busy). */
  wallMs?: number;
}

/** Kernel time of `steps` steps by kernel name (tf.profile), largest first, with shares of the total. */
export async function profileKernels(w: Workload, steps = 2): Promise<KernelShare[]> {
  const totals = new Map<string, number>();
  for (let k = 0; k < steps; k++) {
    const info = await tf.profile(() => w.step());
    for (const kr of info.kernels) {
      const ms = typeof kr.kernelTimeMs === 'number' ? kr.kernelTimeMs : 0;
      totals.set(kr.name, (totals.get(kr.name) ?? 0) + ms);
    }
  }
  const sum = [...totals.values()].reduce((a, b) => a + b, 0) || 1;
  return [...totals.entries()].map(([kernel, ms]) => ({ kernel, ms: ms / steps, share: ms / sum })).sort((a, b) => b.ms - a.ms);
}

/**
 * CPU time of `steps` steps by kernel name, largest first: every registered wasm kernel wrapped, only
 * top-level calls counted (a kernel composed of others, e.g. Conv2DBackpropFilter's inner Conv2D,
 * counts once, under its own name). Gradient functions are wrapped too: a row `∇Name` is the time
 * of Name's gradient outside the kernels it runs — the work it does itself, e.g. the one-kernel
 * layers' relu_grad / bias_relu passes straight on mtl's SIMD module. CPU time, unlike tf.profile's
 * wall time, holds up under load; it is the whole process's, so on kernel threads a row's CPU ÷ wall
 * is how many threads it kept busy.
 */
export function cpuProfileKernels(w: Workload, steps = 5): { rows: KernelShare[]; stepMs: number; wallStepMs: number } {
  const totals = new Map<string, number>();
  const walls = new Map<string, number>();
  const cpuMs = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  // Open timings; each adds its own time less its children's (exclusive time).
  const stack: Array<{ t0: number; w0: number; child: number; wallChild: number }> = [];
  const timed = <T>(name: string, f: () => T): T => {
    const frame = { t0: cpuMs(), w0: performance.now(), child: 0, wallChild: 0 };
    stack.push(frame);
    try {
      return f();
    } finally {
      stack.pop();
      const [total, wall] = [cpuMs() - frame.t0, performance.now() - frame.w0];
      totals.set(name, (totals.get(name) ?? 0) + total - frame.child);
      walls.set(name, (walls.get(name) ?? 0) + wall - frame.wallChild);
      if (stack.length) {
        stack[stack.length - 1].child += total;
        stack[stack.length - 1].wallChild += wall;
      }
    }
  };
  let depth = 0;
  const kernels = tf.getKernelsForBackend('wasm');
  const grads = kernels.map((k) => tf.getGradient(k.kernelName)).filter((g): g is tf.GradConfig => !!g);
  for (const k of kernels) {
    const f = k.kernelFunc;
    const wrapped: tf.KernelFunc = (a) => {
      if (depth) return f(a);
      depth++;
      try {
        return timed(k.kernelName, () => f(a));
      } finally {
        depth--;
      }
    };
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({ ...k, kernelFunc: wrapped });
  }
  for (const g of grads) {
    const name = `∇${g.kernelName}`;
    tf.registerGradient({
      ...g,
      gradFunc: (dy, saved, attrs) =>
        timed(name, () => {
          const thunks = g.gradFunc(dy, saved, attrs);
          return Object.fromEntries(Object.entries(thunks).map(([input, thunk]) => [input, () => timed(name, thunk)]));
        }),
    });
  }
  const [c0, w0] = [process.cpuUsage(), performance.now()];
  for (let s = 0; s < steps; s++) w.step();
  const [c, wall] = [process.cpuUsage(c0), performance.now() - w0];
  for (const k of kernels) {
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  for (const g of grads) tf.registerGradient(g);
  const sum = [...totals.values()].reduce((a, b) => a + b, 0) || 1;
  const rows = [...totals.entries()].map(([kernel, ms]) => ({ kernel, ms: ms / steps, share: ms / sum, wallMs: walls.get(kernel)! / steps })).sort((a, b) => b.ms - a.ms);
  return { rows, stepMs: (c.user + c.system) / 1000 / steps, wallStepMs: wall / steps };
}
