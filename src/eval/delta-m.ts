// Owns Δm%, the multi-task performance change against a baseline (Maninis et al. 2019,
// arXiv:1904.08492, eq. 5; Vandenhende et al. 2021, arXiv:2004.13379, §4.1):
//   Δm = 100 · mean_t mean_{k ∈ metrics(t)} (−1)^{l_k} (M_m,t,k − M_b,t,k) / M_b,t,k
// with l_k = 1 when lower is better. The inner mean over a task's metrics keeps a task with three
// metrics from counting three times (LibMTL's Δp does the same). Positive = better than the baseline.
// We divide by |M_b| so that a negative baseline (an R² below 0) does not flip the sign of the change.
// Pure numbers: no TensorFlow, no files.

export type Direction = 'higher' | 'lower';

/** Final metrics of one run: task → metric key → value. */
export type TaskMetrics = Record<string, Record<string, number>>;

export interface DeltaTerm {
  task: string;
  metric: string;
  direction: Direction;
  model: number;
  baseline: number;
  /** (−1)^l (M_m − M_b) / M_b × 100. */
  percent: number;
}

export interface DeltaSkip {
  task: string;
  metric: string;
  reason: 'missing in run' | 'missing in baseline' | 'zero baseline' | 'not finite' | 'unknown direction';
}

export interface DeltaM {
  /** Δm in percent; NaN when no task has a comparable metric. */
  value: number;
  /** Per task: the mean of its terms, in percent. */
  tasks: Record<string, number>;
  terms: DeltaTerm[];
  skipped: DeltaSkip[];
}

export interface DeltaOptions {
  /** Direction of a metric key of a task; undefined = unknown (the metric is skipped). */
  direction(task: string, metric: string): Direction | undefined;
  /** Use the `loss` key too. Default: only when a task has no other metric in the baseline. */
  includeLoss?: boolean;
}

function keysFor(baseline: Record<string, number>, includeLoss: boolean | undefined): string[] {
  const keys = Object.keys(baseline);
  const metrics = keys.filter((k) => k !== 'loss');
  if (includeLoss) return keys;
  return metrics.length > 0 ? metrics : keys.filter((k) => k === 'loss');
}

/**
 * Δm% of `model` against `baseline`, over the baseline's tasks and metrics.
 * Rules: a metric missing (or not finite) in either run is skipped; a metric whose baseline value is 0
 * is skipped (the relative change is undefined) — each skip is listed with its reason; a task with no
 * usable metric is left out of the mean over tasks.
 */
export function deltaM(model: TaskMetrics, baseline: TaskMetrics, opts: DeltaOptions): DeltaM {
  const terms: DeltaTerm[] = [];
  const skipped: DeltaSkip[] = [];
  const tasks: Record<string, number> = {};
  for (const [task, base] of Object.entries(baseline)) {
    const own: number[] = [];
    for (const metric of keysFor(base, opts.includeLoss)) {
      const b = base[metric];
      const m = model[task]?.[metric];
      const direction = metric === 'loss' ? 'lower' : opts.direction(task, metric);
      const skip = (reason: DeltaSkip['reason']) => skipped.push({ task, metric, reason });
      if (direction === undefined) skip('unknown direction');
      else if (m === undefined) skip('missing in run');
      else if (!Number.isFinite(m) || !Number.isFinite(b)) skip('not finite');
      else if (b === 0) skip('zero baseline');
      else {
        const percent = ((direction === 'lower' ? -1 : 1) * (m - b) * 100) / Math.abs(b);
        terms.push({ task, metric, direction, model: m, baseline: b, percent });
        own.push(percent);
      }
    }
    if (own.length > 0) tasks[task] = mean(own);
  }
  for (const [task, own] of Object.entries(model)) {
    for (const metric of Object.keys(own)) {
      if (baseline[task]?.[metric] === undefined && (metric !== 'loss' || opts.includeLoss)) skipped.push({ task, metric, reason: 'missing in baseline' });
    }
  }
  const perTask = Object.values(tasks);
  return { value: perTask.length > 0 ? mean(perTask) : NaN, tasks, terms, skipped };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
