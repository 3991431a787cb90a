// Owns one optimisation step of a multi-task model as a straight line: choose the gradient path
// (grad-paths.ts), get its record, then one shared tail — weight decay, clipping, a fixed gradient
// order and the optimizer update. Also the factory for the parts a step needs.
// tfjs-layers' compile()/fit() has no per-output loss weights and no gradient surgery, hence this.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import type { LossFn } from '../losses/types';
import { stepVariables, type BuiltModel } from '../model/build';
import { splitModel, type SplitModel } from '../model/split';
import type { OptimizerHandle } from '../optim/optimizers';
import { scaleUpdates, snapshotScaled, type ParamGroupPlan } from './param-groups';
import { gradientStats, type StepDiagnostics } from '../weighting/diagnostics';
import type { GradSpace } from '../weighting/options';
import type { WeightingStrategy } from '../weighting/strategy';
import { StepDraws } from './draws';
import { choosePath, gradPaths, type GradRecord } from './grad-paths';
import { sharedGradientRows } from './passes';
import { lookaheadStep } from './lookahead';

export interface StepParts {
  built: BuiltModel;
  lossFns: LossFn[];
  strategy: WeightingStrategy;
  opt: OptimizerHandle;
  clipNorm: number | null;
  /** Shared (backbone) variables: the columns of the task-gradient matrix, in this order. */
  shared: tf.Variable[];
  /** Each task's head variables, in task order. */
  heads: tf.Variable[][];
  /** weighting.gradSpace (default parameters): where gradient strategies take per-task gradients. */
  gradSpace?: GradSpace;
  /** weighting.updateEvery (default 1): recompute the combination every k steps. */
  updateEvery?: number;
  /** The weights reused between recomputations; the loop checkpoints it. Created on the first step. */
  memory?: StepMemory;
  /** Variable names in the order the optimizer first saw them (see stableOrder); checkpointed. */
  gradOrder?: string[];
  /** train.paramGroups resolved: per-variable learning-rate multipliers and weight decay (none: all 1 and the optimizer's). */
  paramGroups?: ParamGroupPlan;
  /** The model's split into backbone and heads, or why there is none: resolved once, on first need. */
  split?: SplitModel | string;
  /** Variable names the current stage freezes (stages.ts): left out of shared and heads. */
  frozen?: Set<string>;
  /** Task indices the current stage trains (absent: all); the others are treated as absent from every batch. */
  active?: Set<number>;
}

/** What makeStepParts takes besides the model, losses, strategy and optimizer. */
export type StepOptions = Partial<Pick<StepParts, 'clipNorm' | 'gradSpace' | 'updateEvery' | 'memory' | 'gradOrder' | 'paramGroups'>>;

/** The parts of a step: the model's variables partitioned, and its split resolved when a path will need it. */
export function makeStepParts(built: BuiltModel, lossFns: LossFn[], strategy: WeightingStrategy, opt: OptimizerHandle, options: StepOptions = {}): StepParts {
  // The representation path and the cheap reuse steps go through the split; other paths never do.
  const needsSplit = options.gradSpace === 'representation' || (options.updateEvery ?? 1) > 1;
  return { built, lossFns, strategy, opt, clipNorm: null, ...stepVariables(built), ...options, ...(needsSplit ? { split: splitModel(built) } : {}) };
}

/** After a change of what is trainable (a pretrained backbone unfrozen, a stage): the variables the step differentiates. */
export function refreshStepVariables(parts: StepParts): void {
  const { shared, heads } = stepVariables(parts.built);
  const keep = (v: tf.Variable) => !parts.frozen?.has(v.name);
  Object.assign(parts, { shared: shared.filter(keep), heads: heads.map((h) => h.filter(keep)) });
}

export interface StepMemory {
  /** Shared-part weights of the last recomputation: the cheap step follows Σ_t w_t ∇L_t. */
  weights: number[] | null;
  /** Head multipliers of the last recomputation. */
  headWeights: number[] | null;
}

export interface StepState {
  step: number;
  epoch: number;
  learningRate: number;
  epochLosses: readonly (readonly number[])[];
  /** Record per-task gradient norms (and cosines) over the shared parameters at this step. */
  diagnose?: { cosine: boolean };
  /** Check losses and gradients for NaN/Inf first and skip the update when one is (train.onNonFinite). */
  checkFinite?: boolean;
  /** A validation batch, on steps where the strategy's look-ahead is due (train/validation-feed.ts). */
  validation?: Batch;
}

/** Tensors the caller owns and must dispose (see disposeStepResult). */
export interface StepResult {
  /** Per-task mean loss of this batch [T]. */
  taskLosses: tf.Tensor1D;
  /** Effective task weights reported by the strategy [T]. */
  weights: tf.Tensor1D;
  /** Task outputs of the training forward pass, in task order (for training metrics). */
  outputs: tf.Tensor[];
  /** Backward passes through the model this step took (diagnostics included). */
  backwardPasses: number;
  /** False on the cheap steps between recomputations (updateEvery > 1). */
  recomputed: boolean;
  /**
   * Indices of the tasks labelled in this batch (the others left the step, weight 0). Empty: no task
   * was labelled, the batch was skipped — nothing was updated, and losses, weights are zeros, outputs empty.
   */
  present: number[];
  /** Present when state.diagnose asked for it. */
  diagnostics?: StepDiagnostics;
  /** False when state.checkFinite found a NaN/Inf loss or gradient: the update was not applied. */
  finite?: boolean;
}

export function disposeStepResult(r: StepResult): void {
  tf.dispose([r.taskLosses, r.weights, ...r.outputs]);
}

/**
 * One step: the path's record (see grad-paths.ts), per-task gradient diagnostics when asked, then the
 * update. Between recomputations (updateEvery > 1) the path reuses the last weights on a cheap step.
 */
export function trainStep(parts: StepParts, batch: Batch, state: StepState): StepResult {
  const T = parts.built.taskNames.length;
  const present = presentTasks(parts, batch);
  if (!present.length) return skipped(T);
  const memory = (parts.memory ??= { weights: null, headWeights: null });
  const every = parts.updateEvery ?? 1;
  const recompute = every <= 1 || memory.weights === null || memory.headWeights === null || state.step % every === 0;
  const base = { taskNames: parts.built.taskNames, present, step: state.step, epoch: state.epoch, epochLosses: state.epochLosses };
  const path = choosePath(parts, recompute);
  const draws = new StepDraws(parts.built.model, path === 'parameters' || path === 'reuse' || state.diagnose !== undefined || state.validation !== undefined);
  let result: StepResult | undefined;
  try {
    tf.tidy(() => {
      // A look-ahead strategy (Auto-Lambda) first updates its weights from the validation batch.
      if (state.validation) lookaheadStep(parts, batch, state.validation, draws, state.learningRate, present, state.step);
      const rec = gradPaths[path](parts, batch, { base, memory, recompute, draws });
      if (rec.remember) Object.assign(memory, rec.remember);
      if (present.length < T) dropAbsentHeads(parts, rec.grads, present);
      const diagnosed = state.diagnose ? diagnose(parts, batch, draws, rec, present, state.diagnose.cosine) : undefined;
      const finite = !state.checkFinite || allFinite([rec.taskLosses, ...Object.values(rec.grads)]);
      if (finite) applyUpdate(parts, rec.grads, state.learningRate);
      // taskLosses, weights and outputs were kept by the path; everything else goes with the scope.
      result = {
        taskLosses: rec.taskLosses,
        weights: rec.weights,
        outputs: rec.outputs,
        backwardPasses: rec.backwardPasses + (diagnosed?.passes ?? 0),
        recomputed: recompute,
        present,
        ...(diagnosed ? { diagnostics: diagnosed.stats } : {}),
        ...(state.checkFinite ? { finite } : {}),
      };
    });
  } finally {
    draws.end();
  }
  return result as StepResult;
}

/** Whether every element of every tensor is finite: x·0 is 0 for finite x and NaN for NaN/±Inf (one read-back). */
function allFinite(ts: tf.Tensor[]): boolean {
  return Number.isFinite(tf.addN(ts.map((t) => tf.sum(tf.mul(t, 0)))).dataSync()[0]);
}

/** The tasks with at least one labelled row (or token) in the batch; a task without a mask always is. */
export function presentTasks(parts: StepParts, batch: Batch): number[] {
  const names = parts.built.taskNames;
  // A task the current stage does not train is absent from every batch (no loss, weight 0).
  const masked = names.map((t, i) => [i, batch.masks[t]] as const).filter(([i, m]) => m !== undefined && (!parts.active || parts.active.has(i)));
  const all = names.map((_, i) => i).filter((i) => !parts.active || parts.active.has(i));
  if (!masked.length) return all;
  const sums = tf.tidy(() => tf.stack(masked.map(([, m]) => tf.sum(m as tf.Tensor))).dataSync());
  const absent = new Set(masked.filter((_, k) => !(sums[k] > 0)).map(([i]) => i));
  return all.filter((i) => !absent.has(i));
}

/**
 * The partial-label rule for heads: an absent task's head gets no gradient — not a zero one, which
 * Adam's or momentum's moments would still follow — so the optimizer skips it and it stays bit-identical
 * (its regulariser and decay included). Done once here, whichever path produced the gradients.
 */
function dropAbsentHeads(parts: StepParts, grads: tf.NamedTensorMap, present: readonly number[]): void {
  parts.heads.forEach((vars, t) => {
    if (!present.includes(t)) for (const v of vars) delete grads[v.name];
  });
}

function skipped(T: number): StepResult {
  return { taskLosses: tf.zeros([T]), weights: tf.zeros([T]), outputs: [], backwardPasses: 0, recomputed: false, present: [] };
}

/**
 * Cosines are defined over the shared parameters whatever the gradient path; reuse the matrix when the
 * path already built it, else pay T' extra backward passes (every N steps only), with the step's own
 * draws (diagnosing does not change the trajectory). Absent tasks get zero rows.
 */
function diagnose(parts: StepParts, batch: Batch, draws: StepDraws, rec: GradRecord, present: number[], cosine: boolean): { stats: StepDiagnostics; passes: number } {
  const rows = rec.sharedRows ?? (tf.stack(sharedGradientRows(parts, batch, draws, present, false).rows) as tf.Tensor2D);
  const T = parts.built.taskNames.length;
  const full = present.length === T ? rows : (tf.stack(expandRows(tf.unstack(rows), present, T)) as tf.Tensor2D);
  const stats = gradientStats(full, cosine, present);
  return { stats: rec.solver ? { ...stats, solver: rec.solver } : stats, passes: rec.sharedRows ? 0 : present.length };
}

function expandRows(rows: tf.Tensor[], present: number[], T: number): tf.Tensor[] {
  const zero = tf.zerosLike(rows[0]);
  return Array.from({ length: T }, (_, t) => (present.includes(t) ? rows[present.indexOf(t)] : zero));
}

/** The shared tail: coupled decay, clipping, the optimizer update in a fixed order (scaled per parameter group), decoupled decay. */
function applyUpdate(parts: StepParts, grads: tf.NamedTensorMap, learningRate: number): void {
  const { opt, paramGroups } = parts;
  const modelVars = [...parts.shared, ...parts.heads.flat()];
  const mode = paramGroups?.decayMode ?? opt.weightDecay.mode;
  const decay = (v: tf.Variable) => paramGroups?.rules.get(v.name)?.weightDecay ?? opt.weightDecay.rate;
  if (mode === 'coupled') {
    // Strategy variables (e.g. log-variances) are not model weights: they are not decayed.
    for (const v of modelVars) if (grads[v.name] && decay(v) > 0) grads[v.name] = tf.add(grads[v.name], tf.mul(v, decay(v)));
  }
  const clipped = parts.clipNorm !== null ? clipByGlobalNorm(grads, parts.clipNorm) : grads;
  opt.setLearningRate(learningRate);
  const before = paramGroups ? snapshotScaled(paramGroups, modelVars) : [];
  opt.optimizer.applyGradients(stableOrder(parts, clipped, [...modelVars, ...parts.strategy.variables()]) as unknown as tf.NamedTensorMap);
  scaleUpdates(before);
  if (mode === 'decoupled') {
    // As torch's AdamW: a variable without a gradient this step (an absent task's head) is not decayed either.
    for (const v of modelVars.filter((x) => grads[x.name])) {
      const factor = 1 - learningRate * (paramGroups?.rules.get(v.name)?.lrMultiplier ?? 1) * decay(v);
      if (factor !== 1) v.assign(tf.mul(v, factor));
    }
  }
}

/**
 * The gradients as a list in one fixed order: tfjs optimizers (Adam, RMSProp, …) key their slots by
 * position, whichever path produced the gradients and whichever variables have one this step. A list,
 * not a map: a JS object enumerates integer-like keys (tfjs names unnamed variables '0', '1', …, as uw's
 * log-variances were before they had names) before all others, whatever the insertion order. The position is slotOrder of
 * parts.gradOrder (the first-seen order; names seen later, e.g. a backbone unfrozen mid-run, go to the
 * end); a known variable without a gradient this step is listed with a null tensor, which every tfjs
 * optimizer skips (the variable and its slots do not move — e.g. uw's log-variances on updateEvery's
 * cheap steps, an absent task's head or log-variance).
 */
/** One entry of the list tfjs optimizers accept (tfjs-core's NamedTensor, not re-exported by @tensorflow/tfjs). */
export type NamedGrad = { name: string; tensor: tf.Tensor };

export function stableOrder(parts: StepParts, grads: tf.NamedTensorMap, vars: readonly tf.Variable[] = []): NamedGrad[] {
  const order = (parts.gradOrder ??= []);
  const known = new Set(order);
  for (const name of [...vars.map((v) => v.name), ...Object.keys(grads)]) {
    if (grads[name] && !known.has(name)) {
      order.push(name);
      known.add(name);
    }
  }
  const live = slotOrder(order).filter((name) => tf.engine().registeredVariables[name]);
  return live.map((name) => ({ name, tensor: grads[name] ?? (null as unknown as tf.Tensor) }));
}

/**
 * Integer-like names first (ascending), then the others in order: the slot positions the earlier map
 * form gave, so optimizer states in existing checkpoints stay where they were.
 */
export function slotOrder(order: readonly string[]): string[] {
  const isIndex = (n: string) => /^(0|[1-9]\d*)$/.test(n) && Number(n) < 4294967295;
  return [...order.filter(isIndex).sort((a, b) => Number(a) - Number(b)), ...order.filter((n) => !isIndex(n))];
}

/** Scale every gradient by min(1, maxNorm / ‖g‖₂) where ‖g‖ is the norm of all gradients together. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const entries = Object.entries(grads);
  if (!entries.length) return grads;
  const norm = tf.sqrt(tf.addN(entries.map(([, g]) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
  return Object.fromEntries(entries.map(([n, g]) => [n, tf.mul(g, scale)]));
}
