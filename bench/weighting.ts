// Owns the bench's gradient-method timings: time per train step of every registered gradient-based
// weighting method divided by equal weighting's, at T tasks on a synthetic MLP (random data), in
// both gradient spaces: the median over `steps` rounds (after `warmup` untimed ones) of the method's
// step ÷ equal weighting's step in the same round, in process CPU time.
import Ajv from 'ajv';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../src/data/batching';
import { taskRuntimes } from '../src/eval/evaluate';
import { buildModel } from '../src/model/build';
import { optimizers } from '../src/optim/optimizers';
import type { ResolvedSpec } from '../src/spec/types';
import { disposeStepResult, makeStepParts, trainStep } from '../src/train/step';
import { strategies } from '../src/weighting/index';
import type { GradSpace } from '../src/weighting/options';
import type { WeightingStrategy } from '../src/weighting/strategy';
import { median } from './workload';

export interface WeightingArgs {
  steps: number;
  warmup: number;
  tasks: number[];
  methods?: string[];
  batch: number;
}

export interface WeightingResult {
  /** method → [T=t param ratio, T=t repr ratio (null: a loss-based method), …] in the order of `tasks`. */
  ratios: Record<string, Array<number | null>>;
  /** Equal weighting's median step (ms CPU) per T. */
  equalMs: Record<number, number>;
}

const ajv = new Ajv({ useDefaults: true, strict: false });
export function strategyOf(method: string, T: number): WeightingStrategy {
  const d = strategies.get(method);
  const config: Record<string, unknown> = {};
  ajv.compile(d.schema)(config); // fills the method's defaults
  return d.create({ method, ...config }, { taskNames: Array.from({ length: T }, (_, t) => `t${t}`), taskWeights: new Array<number>(T).fill(1), seed: 1 });
}

/** The quickstart spec's resolved form with a synthetic MLP trunk and T ten-way heads. */
export function syntheticSpec(base: ResolvedSpec, T: number): ResolvedSpec {
  const s = structuredClone(base) as ResolvedSpec;
  s.inputs = { x: { shape: [128], dtype: 'float32' } };
  s.backbone = [{ dense: { units: 256, activation: 'relu' } }, { dense: { units: 256, activation: 'relu' } }, { dense: { units: 64, activation: 'relu' } }];
  const task = s.tasks.left;
  s.tasks = Object.fromEntries(Array.from({ length: T }, (_, t) => [`t${t}`, { ...structuredClone(task), metrics: [] }]));
  return s;
}

export function randomBatch(spec: ResolvedSpec, n: number): Batch {
  const inputs = Object.fromEntries(Object.entries(spec.inputs).map(([k, v]) => [k, tf.randomUniform([n, ...v.shape], 0, 1, 'float32', 7)]));
  const targets = Object.fromEntries(Object.keys(spec.tasks).map((t, i) => [t, tf.tensor1d(Array.from({ length: n }, (_, r) => (r * 7 + i * 3) % 10), 'int32')]));
  return { size: n, inputs, targets, masks: Object.fromEntries(Object.keys(spec.tasks).map((t) => [t, undefined])) };
}

interface Runner {
  step(): number;
  dispose(): void;
}

/**
 * A model, strategy and gradient space ready to step; step() returns the process CPU milliseconds
 * (user + system) of one step. CPU time rather than wall time: on a shared machine other processes'
 * load inflates wall time but not the work this process does (the wasm and cpu backends run on the
 * calling thread). A look-ahead strategy (auto-lambda) gets the same batch as its validation batch at
 * every step where its update is due (every step by default): the cost of the look-ahead is in the ratio.
 */
export function runner(spec: ResolvedSpec, strategy: WeightingStrategy, gradSpace: GradSpace, batch: Batch, opt = 'sgd'): Runner {
  const every = strategy.needs === 'losses' ? strategy.lookahead?.every : undefined;
  const built = buildModel(spec);
  const o = optimizers.get(opt);
  const config: Record<string, unknown> = {};
  ajv.compile(o.schema)(config);
  const parts = makeStepParts(built, taskRuntimes(spec).map((t) => t.lossFn), strategy, o.create(config, undefined), { gradSpace });
  let step = 0;
  return {
    step() {
      const c0 = process.cpuUsage();
      const due = every !== undefined && step % every === 0;
      const r = trainStep(parts, batch, { step: step++, epoch: 1, learningRate: 0.001, epochLosses: [], ...(due ? { validation: batch } : {}) });
      r.taskLosses.dataSync();
      disposeStepResult(r);
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1000;
    },
    dispose() {
      parts.opt.optimizer.dispose();
      built.model.dispose();
      strategy.dispose();
    },
  };
}

/** Each runner's CPU ms per step, stepping them in turn so that load drift hits all alike. */
function timeInterleaved(runners: Runner[], a: WeightingArgs): number[][] {
  const times = runners.map(() => [] as number[]);
  for (let k = 0; k < a.warmup + a.steps; k++) {
    runners.forEach((r, i) => {
      const ms = r.step();
      if (k >= a.warmup) times[i].push(ms);
    });
  }
  runners.forEach((r) => r.dispose());
  return times;
}

/**
 * The median over rounds of one step's time ÷ the equal step's in the same round: a burst of load
 * inflates both of a round's steps, so the paired ratio is steadier than a ratio of two medians.
 */
const pairedRatio = (times: number[], equal: number[]) => median(times.map((t, k) => t / equal[k]));

/** Loss-based methods timed beside the gradient ones: each step does more than a weighted sum. */
const LOSS_METHODS_TIMED = ['scale-invariant', 'auto-lambda'];

/** The ratio table of every gradient-based method and LOSS_METHODS_TIMED (or `a.methods`) at each T. */
export function weightingRatios(base: ResolvedSpec, a: WeightingArgs): WeightingResult {
  const gradientMethods = strategies.types().filter((m) => (a.methods ? a.methods.includes(m) : strategyOf(m, 2).needs === 'task-gradients' || LOSS_METHODS_TIMED.includes(m)));
  const ratios: Record<string, Array<number | null>> = {};
  const equalMs: Record<number, number[]> = {};
  for (const T of a.tasks) {
    const spec = syntheticSpec(base, T);
    const batch = randomBatch(spec, a.batch);
    for (const m of gradientMethods) {
      // Equal weighting is re-timed beside each method and gradient space: ratios come from the same
      // stretch of time. Each space has its own rounds: stepped right after a parameter-space step (T
      // backward passes), a representation step would pay for the caches and garbage that step leaves
      // (+0.03 on the T = 8 ratios). A loss-based method has no gradient space: its representation
      // column is null (printed "–").
      const spaces: GradSpace[] = strategyOf(m, T).needs === 'task-gradients' ? ['parameters', 'representation'] : ['parameters'];
      const cells = spaces.map((g) => {
        const [eq, timed] = timeInterleaved([runner(spec, strategyOf('equal', T), 'parameters', batch), runner(spec, strategyOf(m, T), g, batch)], a);
        (equalMs[T] ??= []).push(median(eq));
        return pairedRatio(timed, eq);
      });
      (ratios[m] ??= []).push(cells[0], cells[1] ?? null);
    }
    tf.dispose([...Object.values(batch.inputs), ...Object.values(batch.targets)]);
  }
  return { ratios, equalMs: Object.fromEntries(Object.entries(equalMs).map(([T, v]) => [T, median(v)])) };
}
