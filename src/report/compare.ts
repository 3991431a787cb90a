// Owns `mtl compare`'s numbers: each run's (or seed group's) final per-task metrics as mean ± sample
// standard deviation (n − 1 in the denominator), Δm% against a baseline, epochs, wall time,
// samples/s and backend; and their text, Markdown and JSON forms. Reads run folders only.
import { deltaM, type DeltaM, type Direction, type TaskMetrics } from '../eval/delta-m';
import { metrics as metricRegistry } from '../metrics';
import { taskNames, type RunGroup, type RunRecord, type SplitRecord } from './runs';

export type SplitChoice = 'auto' | 'test' | 'val';

/** Mean and sample standard deviation (n − 1; null for n = 1) of one quantity over a group's seeds. */
export interface Stat {
  mean: number;
  std: number | null;
  n: number;
}

export interface CompareRow {
  name: string;
  dir: string;
  seeds: number[] | null;
  baseline: boolean;
  /** A single-task baseline folder: each task's metrics come from a model trained on that task alone. */
  singleTask?: boolean;
  tasks: Record<string, Record<string, Stat>>;
  /** Δm% of the means against the baseline's means (absent without a baseline). */
  deltaM?: DeltaM;
  epochs: Stat;
  wallTime: Stat;
  samplesPerSecond: Stat;
  backend: string;
}

export interface Comparison {
  /** The split the final metrics come from: test (best checkpoint) or val (best epoch). */
  split: 'test' | 'val';
  baseline: string | null;
  rows: CompareRow[];
}

export function stat(xs: number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : null;
  return { mean, std, n };
}

/** Final metrics of a run on a split: test = metrics.json's test (else eval-test.json); val = the best epoch's (else the last). */
export function finalSplit(run: RunRecord, split: 'test' | 'val'): SplitRecord | undefined {
  if (split === 'test') return run.metrics.test ?? run.evals.test;
  const epochs = run.metrics.epochs;
  const best = epochs.find((e) => e.epoch === run.metrics.best?.epoch);
  return (best ?? epochs[epochs.length - 1])?.val ?? run.evals.val;
}

function chooseSplit(groups: RunGroup[], split: SplitChoice): 'test' | 'val' {
  if (split !== 'auto') return split;
  return groups.every((g) => g.members.every((m) => finalSplit(m, 'test'))) ? 'test' : 'val';
}

/** Direction of each metric key of each task, from the runs' resolved specs and the metric registry. */
export function directions(runs: RunRecord[]): (task: string, key: string) => Direction | undefined {
  const table = new Map<string, Direction>();
  for (const [task, t] of runs.flatMap((run) => Object.entries((run.config.tasks ?? {}) as Record<string, { metrics?: unknown[] }>))) {
    for (const m of t.metrics ?? []) {
      const cfg = (typeof m === 'string' ? { type: m } : m) as Record<string, unknown> & { type: string };
      if (!metricRegistry.has(cfg.type)) continue;
      const d = metricRegistry.get(cfg.type);
      table.set(`${task}\u0000${d.key(cfg)}`, d.higherIsBetter ? 'higher' : 'lower');
    }
  }
  const byType = (key: string) => (metricRegistry.has(key) ? (metricRegistry.get(key).higherIsBetter ? 'higher' : 'lower') : undefined);
  return (task, key) => table.get(`${task}\u0000${key}`) ?? byType(key);
}

function wallSeconds(run: RunRecord): number {
  const { startedAt, endedAt } = run.metrics.run ?? {};
  if (startedAt && endedAt) return (Date.parse(endedAt) - Date.parse(startedAt)) / 1000;
  return run.metrics.epochs.reduce((a, e) => a + (e.wallTime ?? 0), 0);
}

function samplesPerSecond(run: RunRecord): number {
  const seconds = run.metrics.epochs.reduce((a, e) => a + (e.wallTime ?? 0), 0);
  const samples = run.metrics.epochs.reduce((a, e) => a + (e.train.samples ?? 0), 0);
  return seconds > 0 ? samples / seconds : NaN;
}

/** A single-task baseline: each task's metrics from its own run(s); wall time summed over the tasks. */
function singleTaskRow(g: RunGroup, split: 'test' | 'val'): CompareRow {
  const parts = Object.entries(g.tasks ?? {}).map(([task, sub]) => [task, groupRow(sub, split)] as const);
  const all = groupRow({ ...g, tasks: undefined }, split);
  const wall = parts.reduce((a, [, row]) => a + row.wallTime.mean, 0);
  // Without seeds the runs are different tasks, not repeats: their spread is no standard deviation.
  if (!g.seeds) for (const k of ['epochs', 'samplesPerSecond'] as const) all[k] = { ...all[k], std: null };
  return { ...all, singleTask: true, tasks: Object.fromEntries(parts.map(([task, row]) => [task, row.tasks[task] ?? {}])), wallTime: { mean: wall, std: null, n: parts.length } };
}

function groupRow(g: RunGroup, split: 'test' | 'val'): CompareRow {
  if (g.tasks) return singleTaskRow(g, split);
  const finals = g.members.map((m) => finalSplit(m, split));
  const tasks: Record<string, Record<string, Stat>> = {};
  for (const task of [...new Set(g.members.flatMap(taskNames))]) {
    const keys = [...new Set(finals.flatMap((f) => Object.keys(f?.tasks[task] ?? {})))];
    tasks[task] = {};
    for (const key of keys) {
      const xs = finals.map((f) => f?.tasks[task]?.[key]).filter((v): v is number => typeof v === 'number');
      if (xs.length > 0) tasks[task][key] = stat(xs);
    }
  }
  const backends = [...new Set(g.members.map((m) => m.metrics.run?.backend?.name ?? '?'))];
  return {
    name: g.name,
    dir: g.dir,
    seeds: g.seeds,
    baseline: false,
    tasks,
    epochs: stat(g.members.map((m) => m.metrics.epochs.length)),
    wallTime: stat(g.members.map(wallSeconds)),
    samplesPerSecond: stat(g.members.map(samplesPerSecond)),
    backend: backends.join('/'),
  };
}

const means = (row: CompareRow): TaskMetrics =>
  Object.fromEntries(Object.entries(row.tasks).map(([t, ms]) => [t, Object.fromEntries(Object.entries(ms).map(([k, s]) => [k, s.mean]))]));

function withoutAuxiliary(m: TaskMetrics, groups: RunGroup[]): TaskMetrics {
  const aux = new Set(groups.flatMap((g) => g.members.flatMap((run) => Object.entries((run.config.tasks ?? {}) as Record<string, { auxiliary?: boolean }>).filter(([, t]) => t.auxiliary).map(([n]) => n))));
  return Object.fromEntries(Object.entries(m).filter(([t]) => !aux.has(t)));
}

/** Compare run folders / seed groups; with `baseline`, it comes first and every row gets Δm%. */
export function compareRuns(groups: RunGroup[], opts: { baseline?: RunGroup; split?: SplitChoice } = {}): Comparison {
  const all = opts.baseline ? [opts.baseline, ...groups.filter((g) => g.dir !== opts.baseline!.dir)] : groups;
  const split = chooseSplit(all, opts.split ?? 'auto');
  const rows = all.map((g) => groupRow(g, split));
  if (opts.baseline) {
    rows[0].baseline = true;
    // Auxiliary tasks (tasks.<t>.auxiliary in the baseline's or the run's spec) are left out of Δm%.
    const base = withoutAuxiliary(means(rows[0]), all);
    for (const [i, row] of rows.entries()) row.deltaM = deltaM(means(row), base, { direction: directions([...all[i].members, ...all[0].members]) });
  }
  return { split, baseline: opts.baseline ? rows[0].name : null, rows };
}
