// Owns the bookkeeping of the partial-label rule (see LossStepContext.present): per-task state is indexed
// by task, a step reads and writes only the entries of the tasks present in its batch.

/** The entries of a per-task array at the present tasks, in present order. */
export const pick = <X>(a: readonly X[], present: readonly number[]): X[] => present.map((t) => a[t]);

/** A copy of `a` whose present tasks' entries are replaced by `values` (given in present order). */
export function put<X>(a: readonly X[], present: readonly number[], values: readonly X[]): X[] {
  const out = [...a];
  present.forEach((t, k) => (out[t] = values[k]));
  return out;
}

/** Per-task numbers [T] from the present tasks' [T']: `fill` (default 0) for an absent task. */
export function expand(values: ArrayLike<number>, present: readonly number[], T: number, fill = 0): number[] {
  const out = new Array<number>(T).fill(fill);
  present.forEach((t, k) => (out[t] = values[k]));
  return out;
}

/** `after` rescaled to the sum of `before`: methods whose weights keep a fixed total (Σ w = T) keep it over all tasks when only some move. */
export function keepSum(before: readonly number[], after: readonly number[]): number[] {
  const b = before.reduce((s, x) => s + x, 0);
  const a = after.reduce((s, x) => s + x, 0);
  return a > 0 ? after.map((x) => (x * b) / a) : [...before];
}

/** A probability vector restricted to the present tasks and renormalised (uniform when it has no mass there). */
export function onSimplex(p: readonly number[], present: readonly number[]): number[] {
  const sub = pick(p, present);
  const s = sub.reduce((a, x) => a + x, 0);
  return s > 1e-12 ? sub.map((x) => x / s) : sub.map(() => 1 / sub.length);
}

/** Whether `present` is 0..T-1 in order: every task present, so picking or expanding changes nothing. */
export const isEveryTask = (present: readonly number[], T: number): boolean => present.length === T && present.every((t, k) => t === k);

/** 0..T-1: every task present. */
export const allTasks = (T: number): number[] => Array.from({ length: T }, (_, t) => t);
