// Owns the seam between the train step and every task-weighting strategy.
// A strategy sees one StepContext per step and returns an Update; it never reads state that another
// object set, and everything it must remember between steps goes through state()/restore().
import type * as tf from '@tensorflow/tfjs';
import type { SolverStatus } from './gradmath';
import { component, type ComponentDef, type ComponentInput, type Descriptor } from '../registry';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * The partial-label rule: a task with no labelled row (or token) in the batch has no loss and no
 * gradient, so it leaves the step. `present` lists the T' ≤ T tasks that stay (ascending indices into
 * taskNames); losses, grads and the returned weights hold those T' tasks only, in that order. A
 * strategy keeps per-task state indexed by task and updates only the present tasks' entries.
 */
export interface LossStepContext {
  taskNames: readonly string[];
  /** Indices (into taskNames, ascending) of the tasks labelled in this batch; never empty. */
  present: readonly number[];
  /** Mean losses of the present tasks on this batch; differentiable (the step takes gradients of the result). */
  losses: readonly tf.Scalar[];
  step: number;
  epoch: number;
  /** Mean training loss of each task (in taskNames order) for every finished epoch, oldest first. */
  epochLosses: readonly (readonly number[])[];
}

export interface GradientContext extends LossStepContext {
  /** T'×d: row k is task present[k]'s loss gradient w.r.t. the shared parameters, flattened in a fixed order. */
  grads: tf.Tensor2D;
}

/** 'losses' strategies return a scalar to differentiate; the step adds regularisation and backprops it. */
export interface LossUpdate {
  loss: tf.Scalar;
  /** Effective weights of the present tasks [T'], for the record. */
  weights: tf.Tensor1D;
}

/** 'task-gradients' strategies return the direction for the shared parameters (same layout as a row of grads). */
export interface GradientUpdate {
  direction: tf.Tensor1D;
  /**
   * Effective weights of the present tasks [T'], for the record (and, where the method defines them, for
   * the heads). A tensor made for this update, not one the strategy keeps: the step may report it as is
   * and dispose it with the step's result.
   */
  weights: tf.Tensor1D;
  /**
   * Multipliers for each present task's head gradients [T']. Default: 1 for every task, as LibMTL does
   * (a head only sees its own task's loss, so balancing happens in the shared part).
   */
  headWeights?: tf.Tensor1D;
  /** What the method's solver reported this step (methods that solve something); recorded on diagnosed steps. */
  solver?: SolverStatus;
}

interface StrategyBase {
  /** Trainable variables owned by the strategy (e.g. uncertainty weighting's log-variances). */
  variables(): tf.Variable[];
  /** Last effective weights, by task name (0 for a task absent from the last step): logged every epoch. */
  weights(): Record<string, number>;
  state(): Json;
  restore(state: Json): void;
  dispose(): void;
}

export interface LossStrategy extends StrategyBase {
  readonly needs: 'losses';
  combine(ctx: LossStepContext): LossUpdate;
  /**
   * Declared by strategies that learn their weights from validation data (Auto-Lambda): every `every`
   * steps the trainer reads one validation batch and calls `update` before the step's own passes, with
   * an oracle for the model passes it needs. Such a method needs train.validation (a spec error
   * otherwise). Returns the hypergradient [T], for the record.
   */
  readonly lookahead?: {
    every: number;
    update(oracle: LookaheadOracle, ctx: { present: readonly number[]; step: number }): number[];
  };
}

/**
 * The model passes a look-ahead strategy may ask for, on the model's trainable variables θ (shared and
 * heads, in a fixed order) — the strategy never touches the model. `shift` (one tensor per variable)
 * evaluates at θ + shift; θ itself is left exactly as it was. Tensors returned belong to the caller's
 * tidy scope.
 */
export interface LookaheadOracle {
  /** The step's learning rate α (the look-ahead step θ' = θ − α∇L_train). */
  learningRate: number;
  /** Per-task mean losses [T] of the step's training batch (0 for an absent task). */
  trainLosses(shift?: readonly tf.Tensor[]): number[];
  /** ∇_θ (Σ_t w_t L_t + regularisation) on the training batch, one tensor per variable. */
  trainGradient(w: readonly number[], shift?: readonly tf.Tensor[]): tf.Tensor[];
  /** ∇_θ Σ_t p_t L_t on the validation batch, and its per-task losses [T]. */
  validationGradient(p: readonly number[], shift?: readonly tf.Tensor[]): { grads: tf.Tensor[]; losses: number[] };
}

export interface GradientStrategy extends StrategyBase {
  readonly needs: 'task-gradients';
  combine(ctx: GradientContext): GradientUpdate;
}

export type WeightingStrategy = LossStrategy | GradientStrategy;

export interface StrategyContext {
  taskNames: readonly string[];
  /** Per-task weights written in the spec (tasks.<name>.weight or weighting.weights), default 1. */
  taskWeights: readonly number[];
  seed: number;
  /** Per-epoch weights when a task's weight is a schedule (static weighting; src/weighting/weight-schedule.ts). */
  weightsAt?: (epoch: number) => readonly number[];
}

export type StrategyDescriptor = Descriptor<ComponentInput, WeightingStrategy, StrategyContext>;

/** A weighting method with typed options: `create` receives them validated, defaults filled. */
export const strategy = <O>(d: ComponentDef<O, WeightingStrategy, StrategyContext>): StrategyDescriptor => component(d);
