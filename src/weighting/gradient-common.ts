// Owns the wrapper that turns a gradient-combining method (a function of the step's GradientContext)
// into a GradientStrategy: weight bookkeeping, tensor conversion of weights, state plumbing, and
// helpers for the few methods that keep T×d tensors (gradient EMAs) between steps.
import * as tf from '@tensorflow/tfjs';
import type { SolverStatus } from './gradmath';
import { expand, isEveryTask } from './present';
import type { GradientContext, GradientStrategy, Json, StrategyContext } from './strategy';

/** What a method returns for the T' present tasks (weights and headWeights in present order). */
export interface MethodResult {
  direction: tf.Tensor1D;
  weights: readonly number[];
  headWeights?: readonly number[];
  solver?: SolverStatus;
}

export interface MethodHooks {
  state?(): Json;
  restore?(state: Json): void;
  dispose?(): void;
}

export function gradientStrategy(ctx: StrategyContext, combine: (g: GradientContext) => MethodResult, hooks: MethodHooks = {}): GradientStrategy {
  let last: readonly number[] = new Array<number>(ctx.taskNames.length).fill(1);
  return {
    needs: 'task-gradients',
    combine(g) {
      const r = combine(g);
      const w = r.weights.map((x) => (Number.isFinite(x) ? x : 0));
      last = expand(w, g.present, ctx.taskNames.length);
      return {
        direction: r.direction,
        weights: tf.tensor1d(w),
        ...(r.headWeights ? { headWeights: tf.tensor1d(r.headWeights as number[]) } : {}),
        ...(r.solver ? { solver: r.solver } : {}),
      };
    },
    variables: () => [],
    weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, last[i]])),
    state: () => hooks.state?.() ?? null,
    restore(state) {
      hooks.restore?.(state);
    },
    dispose() {
      hooks.dispose?.();
    },
  };
}

/** A T×d tensor kept across steps (outside any tidy), replaced in place and serialised as nested arrays. */
export class KeptMatrix {
  private value: tf.Tensor2D | null = null;

  get(): tf.Tensor2D | null {
    return this.value;
  }

  /** Takes ownership of `t` (keeps it from the enclosing tidy) and frees the previous value. */
  set(t: tf.Tensor2D): void {
    const old = this.value;
    this.value = tf.keep(t);
    if (old && old !== t) old.dispose();
  }

  toJson(): Json {
    return this.value ? (this.value.arraySync() as number[][]) : null;
  }

  /**
   * The present tasks' rows (null before the first set): the state a step with T' tasks reads. With
   * every task present, the kept tensor itself rather than a gathered copy (a T×d copy per step for
   * nothing): hand it back through release(), which frees copies only.
   */
  rows(present: readonly number[]): tf.Tensor2D | null {
    if (!this.value) return null;
    return isEveryTask(present, this.value.shape[0]) ? this.value : tf.gather(this.value, present);
  }

  /** Frees what rows() returned, unless it is the kept tensor (setRows replaces that one). */
  release(rows: tf.Tensor2D | null): void {
    if (rows && rows !== this.value) rows.dispose();
  }

  /**
   * Replaces the present tasks' rows by `rows` (T'×d) and keeps the others; before the first set the
   * others start at zero (every method here starts its T×d state at zero or treats null as zero).
   */
  setRows(present: readonly number[], rows: tf.Tensor2D, T: number): void {
    if (isEveryTask(present, T)) return this.set(rows);
    const next = tf.tidy(() => {
      const old = this.value ?? tf.zeros([T, rows.shape[1]]);
      const parts = tf.unstack(old);
      const fresh = tf.unstack(rows);
      present.forEach((t, k) => (parts[t] = fresh[k]));
      return tf.stack(parts) as tf.Tensor2D;
    });
    this.set(next);
  }

  fromJson(j: Json): void {
    this.dispose();
    if (Array.isArray(j) && j.length) this.value = tf.keep(tf.tensor2d(j as number[][]));
  }

  dispose(): void {
    this.value?.dispose();
    this.value = null;
  }
}

export const numArray = (j: Json | undefined): number[] | undefined => (Array.isArray(j) && j.every((x) => typeof x === 'number') ? (j as number[]) : undefined);
export const numMatrix = (j: Json | undefined): number[][] | undefined =>
  Array.isArray(j) && j.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number')) ? (j as number[][]) : undefined;
export const field = (j: Json, k: string): Json | undefined => (j && typeof j === 'object' && !Array.isArray(j) ? j[k] : undefined);
