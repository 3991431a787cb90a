// Owns the five ways a train step gets its gradients (losses, parameters, representation, heads-only,
// reuse): each runs the forward and backward passes its strategy needs and returns one GradRecord.
// trainStep (step.ts) picks the path once per step and applies the record with one shared tail.
// Every path follows the partial-label rule (weighting/strategy.ts): only the tasks present in the
// batch reach the strategy, and an absent task is reported with weight 0. The passes they are made
// of are in passes.ts.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import type { SolverStatus } from '../weighting/gradmath';
import { expand, isEveryTask, pick } from '../weighting/present';
import type { WeightingStrategy } from '../weighting/strategy';
import type { StepDraws } from './draws';
import { addRegularisation, backward, representationGrads, sharedGradientRows, weightedGrads } from './passes';
import type { StepMemory, StepParts } from './step';

export type GradPath = 'losses' | 'parameters' | 'representation' | 'heads-only' | 'reuse';

type LossStrategy = Extract<WeightingStrategy, { needs: 'losses' }>;
type GradientStrategy = Extract<WeightingStrategy, { needs: 'task-gradients' }>;

/** What every path returns. taskLosses, weights and outputs are kept out of the step's tidy scope. */
export interface GradRecord {
  grads: tf.NamedTensorMap;
  /** Per-task mean loss of this batch [T]. */
  taskLosses: tf.Tensor1D;
  /** Effective task weights to report [T]. */
  weights: tf.Tensor1D;
  /** Task outputs of the training forward pass, in task order. */
  outputs: tf.Tensor[];
  backwardPasses: number;
  /** The weights to reuse until the next recomputation (absent: the memory stays as it is). */
  remember?: StepMemory;
  /** The T'×d matrix of shared-parameter gradients, when the path built it (diagnostics reuse it). */
  sharedRows?: tf.Tensor2D;
  /** The strategy's solver status of this step, if it solves something. */
  solver?: SolverStatus;
}

/** What a path reads besides the parts and the batch. */
export interface PathContext {
  /** The strategy's context without losses and gradients (present: the tasks labelled in the batch). */
  base: { taskNames: readonly string[]; present: readonly number[]; step: number; epoch: number; epochLosses: readonly (readonly number[])[] };
  /** The weights of the last recomputation (complete on the reuse and cheap heads-only steps). */
  memory: StepMemory;
  recompute: boolean;
  /** Rewinds dropout draws and moving statistics before each forward pass after the first. */
  draws: StepDraws;
}

/**
 * What a recomputation leaves for the cheap steps: the present tasks' new weights, and for an absent
 * task its previous weight (or, never seen, the present tasks' mean) — its loss may return next step.
 */
function remembered(prev: number[] | null, present: readonly number[], w: ArrayLike<number>, T: number): number[] {
  const sub = Array.from(w);
  const mean = sub.reduce((a, b) => a + b, 0) / Math.max(sub.length, 1);
  const out = prev ? [...prev] : new Array<number>(T).fill(mean);
  present.forEach((t, k) => (out[t] = sub[k]));
  return out;
}

/** Weights to report [T]: 0 for the tasks absent from the batch. */
const reported = (w: readonly number[], present: readonly number[]): tf.Tensor1D => tf.keep(tf.tensor1d(expand(pick(w, present), present, w.length)));

/**
 * Nothing shared → heads-only; between recomputations → reuse; a loss strategy → losses; a gradient
 * strategy → per-task gradients w.r.t. the shared parameters or the shared representation.
 */
export function choosePath(parts: StepParts, recompute: boolean): GradPath {
  if (parts.shared.length === 0 && (parts.strategy.needs !== 'losses' || !recompute)) return 'heads-only';
  if (!recompute) return 'reuse';
  if (parts.strategy.needs === 'losses') return 'losses';
  return (parts.gradSpace ?? 'parameters') === 'representation' ? 'representation' : 'parameters';
}

export const gradPaths: Record<GradPath, (parts: StepParts, batch: Batch, ctx: PathContext) => GradRecord> = {
  /**
   * Nothing is shared (soft sharing: one backbone copy per task): there is no shared gradient to
   * balance (d = 0), so head t follows w_t ∇L_t with the reused weights between recomputations and
   * w = 1 otherwise; a gradient strategy is not consulted. (The representation split would start at a
   * model input here, where no gradient flows, so the reuse path is not used.)
   */
  'heads-only': (parts, batch, { memory, recompute, base, draws }) => {
    const w = recompute ? new Array<number>(parts.built.taskNames.length).fill(1) : (memory.headWeights as number[]);
    const shown = recompute ? w : (memory.weights as number[]);
    const r = backward(parts, batch, draws, parts.heads.flat(), (losses) => tf.sum(tf.mul(tf.stack(losses), tf.tensor1d(w))) as tf.Scalar);
    return { ...r, weights: reported(shown, base.present), backwardPasses: 1, ...(recompute ? { remember: { weights: [...w], headWeights: [...w] } } : {}) };
  },

  reuse: (parts, batch, { memory, base, draws }) => {
    const r = weightedGrads(parts, batch, draws, memory.weights as number[], memory.headWeights as number[]);
    return { ...r, weights: reported(memory.weights as number[], base.present), backwardPasses: r.passes };
  },

  /** The gradient of strategy.combine(losses) + regularisation w.r.t. every trainable variable (the model's and the strategy's own). */
  losses: (parts, batch, { base, memory, draws }) => {
    const strategy = parts.strategy as LossStrategy;
    const T = base.taskNames.length;
    let sub: number[] = [];
    const vars = [...parts.shared, ...parts.heads.flat(), ...strategy.variables()];
    const r = backward(parts, batch, draws, vars, (losses) => {
      const update = strategy.combine({ ...base, losses: pick(losses, base.present) });
      sub = Array.from(update.weights.dataSync());
      return update.loss;
    });
    // The loss is Σ w_t L_t to first order, and a head only sees its own task: it gets w_t too.
    const w = remembered(memory.weights, base.present, sub, T);
    return { ...r, weights: tf.keep(tf.tensor1d(expand(sub, base.present, T))), backwardPasses: 1, remember: { weights: w, headWeights: [...w] } };
  },

  representation: (parts, batch, { base, memory, draws }) => {
    const strategy = parts.strategy as GradientStrategy;
    const { present, taskNames } = base;
    const T = taskNames.length;
    let solver: SolverStatus | undefined;
    // With every task present, the rows, weights and head weights are already in task order: no copies.
    const every = isEveryTask(present, T);
    const r = representationGrads(parts, batch, draws, (rows, losses) => {
      const u = strategy.combine({ ...base, losses: pick(losses, present), grads: every ? rows : (tf.gather(rows, present) as tf.Tensor2D) });
      solver = u.solver;
      const headWeights = !u.headWeights || every ? u.headWeights : tf.tensor1d(expand(u.headWeights.dataSync(), present, T, 1));
      return { direction: u.direction, weights: every ? u.weights : tf.tensor1d(expand(u.weights.dataSync(), present, T)), ...(headWeights ? { headWeights } : {}) };
    });
    const w = r.weights.dataSync();
    return { grads: r.grads, taskLosses: r.taskLosses, weights: r.weights, outputs: r.outputs, backwardPasses: 1, ...(solver ? { solver } : {}), remember: { weights: remembered(memory.weights, present, pick(Array.from(w), present), T), headWeights: r.headWeights } };
  },

  /**
   * One backward pass per task gives the T×d matrix of shared-parameter gradients; the strategy turns
   * it into one direction; each head gets its own task's gradient (times headWeights).
   */
  parameters: (parts, batch, { base, memory, draws }) => {
    const strategy = parts.strategy as GradientStrategy;
    const { present } = base;
    const T = parts.built.taskNames.length;
    const { rows, losses, headGrads, outputs } = sharedGradientRows(parts, batch, draws, present, true);
    const sharedRows = tf.stack(rows) as tf.Tensor2D;
    const update = strategy.combine({ ...base, losses: pick(losses, present), grads: sharedRows });
    const taskLosses = tf.keep(tf.stack(losses) as tf.Tensor1D);
    tf.dispose(losses); // kept out of each backward pass's scope; stacked above
    const grads: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of parts.shared) {
      grads[v.name] = update.direction.slice(offset, v.size).reshape(v.shape);
      offset += v.size;
    }
    const hw = update.headWeights ? expand(update.headWeights.dataSync(), present, T, 1) : new Array<number>(T).fill(1);
    headGrads.forEach((m, k) => {
      const h = hw[present[k]];
      for (const [name, g] of Object.entries(m)) grads[name] = h === 1 ? g : tf.mul(g, h);
    });
    addRegularisation(parts, grads);
    const sub = Array.from(update.weights.dataSync());
    const weights = tf.keep(tf.tensor1d(expand(sub, present, T)));
    return { grads, taskLosses, weights, outputs, backwardPasses: present.length, sharedRows, ...(update.solver ? { solver: update.solver } : {}), remember: { weights: remembered(memory.weights, present, sub, T), headWeights: hw } };
  },
};
