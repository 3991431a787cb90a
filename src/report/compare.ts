// Owns `mtl compare`'s numbers: each run's (or seed group's) final per-task metrics as mean ± sample
// standard deviation (n − 1 in the denominator), Δm% against a baseline, epochs, wall time,
// samples/s and backend, and how far each run got (train/run-status.ts: a partial run is named as such);
// and their text, Markdown and JSON forms. Reads run folders only.
import { deltaM, type DeltaM, type Direction, type TaskMetrics } from '../eval/delta-m';
import { metrics as metricRegistry } from '../metrics';
import { readRunStatus, type RunStatus } from '../train/run-status';
import { taskNames, type RunGroup, type RunRecord, type SplitRecord } from './runs';
import { differentRowsNote } from './split-rows';

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
  /** How far each run of the row got (one per seed of a group), as eval and predict report it. */
  runStatus: MemberStatus[];
  /** Seeds the group was asked for whose runs did not finish (not in its means). */
  missingSeeds?: number[];
  /** Tasks whose accuracy, in every run of the row, answering one label for every row matches: that label and its share (first run's). */
  constant?: Record<string, { label: string; accuracy: number }>;
}

/** A run's status (train/run-status.ts) with its folder and the epoch whose numbers are compared. */
export type MemberStatus = RunStatus & { dir: string; comparedEpoch: number | null };

export interface Comparison {
  /** The split the final metrics come from: test (best checkpoint) or val (best epoch). */
  split: 'test' | 'val';
  /** With --split auto: the runs without test metrics, which made the comparison use val. */
  withoutTest?: string[];
  /** When some rows were measured on other rows of the split than the first (report/split-rows.ts). */
  differentRows?: string;
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

function chooseSplit(groups: RunGroup[], split: SplitChoice): { split: 'test' | 'val'; withoutTest?: string[] } {
  if (split !== 'auto') return { split };
  const withoutTest = groups.flatMap((g) => g.members.filter((m) => !finalSplit(m, 'test')).map((m) => m.dir));
  return withoutTest.length ? { split: 'val', withoutTest } : { split: 'test' };
}

/** The epoch whose numbers a run contributes: the evaluated checkpoint's (test) or the best epoch (val). */
function comparedEpoch(run: RunRecord, split: 'test' | 'val'): number | null {
  const evaluated = split === 'test' && !run.metrics.test ? (run.evals.test as { epoch?: unknown } | undefined)?.epoch : undefined;
  if (typeof evaluated === 'number') return evaluated;
  const best = run.metrics.best?.epoch;
  if (typeof best === 'number' && run.metrics.epochs.some((e) => e.epoch === best)) return best;
  return run.metrics.epochs.length ? run.metrics.epochs[run.metrics.epochs.length - 1].epoch : null;
}

function memberStatus(run: RunRecord, split: 'test' | 'val'): MemberStatus {
  const planned = (run.config.train as { epochs?: unknown } | undefined)?.epochs;
  return { dir: run.dir, ...readRunStatus(run.dir, typeof planned === 'number' ? planned : 0), comparedEpoch: comparedEpoch(run, split) };
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

/** Time the run trained: first start to last end, less the pauses between a stop and its --resume. */
function wallSeconds(run: RunRecord): number {
  const { startedAt, endedAt, resumed } = run.metrics.run ?? {};
  const paused = (resumed ?? []).reduce((a, r) => a + (typeof r.pausedSeconds === 'number' ? r.pausedSeconds : 0), 0);
  if (startedAt && endedAt) return (Date.parse(endedAt) - Date.parse(startedAt)) / 1000 - paused;
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
  const constant = Object.fromEntries(parts.flatMap(([task, row]) => (row.constant?.[task] ? [[task, row.constant[task]]] : [])));
  const { constant: _all, ...rest } = all;
  return { ...rest, singleTask: true, tasks: Object.fromEntries(parts.map(([task, row]) => [task, row.tasks[task] ?? {}])), wallTime: { mean: wall, std: null, n: parts.length }, ...(Object.keys(constant).length ? { constant } : {}) };
}

const missingOf = (g: RunGroup): number[] => (g.planned ?? []).filter((x) => !(g.seeds ?? []).includes(x));

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
    runStatus: g.members.map((m) => memberStatus(m, split)),
    ...(missingOf(g).length ? { missingSeeds: missingOf(g) } : {}),
    ...constantOf(finals),
  };
}

/** The tasks every final record names in noBetterThanConstant, with the first record's answer. */
function constantOf(finals: Array<SplitRecord | undefined>): Pick<CompareRow, 'constant'> {
  const first = finals[0]?.noBetterThanConstant ?? {};
  const tasks = Object.keys(first).filter((t) => finals.every((f) => f?.noBetterThanConstant?.[t]));
  if (!tasks.length) return {};
  return { constant: Object.fromEntries(tasks.map((t) => [t, { label: first[t].name !== undefined ? JSON.stringify(first[t].name) : String(first[t].label), accuracy: first[t].accuracy }])) };
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
  const { split, withoutTest } = chooseSplit(all, opts.split ?? 'auto');
  const rows = all.map((g) => groupRow(g, split));
  if (opts.baseline) {
    rows[0].baseline = true;
    // Auxiliary tasks (tasks.<t>.auxiliary in the baseline's or the run's spec) are left out of Δm%.
    const base = withoutAuxiliary(means(rows[0]), all);
    for (const [i, row] of rows.entries()) row.deltaM = deltaM(means(row), base, { direction: directions([...all[i].members, ...all[0].members]) });
  }
  const differentRows = differentRowsNote(all, rows.map((r) => r.name), split);
  return { split, ...(withoutTest ? { withoutTest } : {}), ...(differentRows ? { differentRows } : {}), baseline: opts.baseline ? rows[0].name : null, rows };
}
