// Owns the `baselines:` of a spec: earlier runs that Δm% (delta-m.ts) is measured against every epoch.
// A baseline is a single-task baseline folder (`mtl train --single-task`), a run folder or a seed group
// (the mean over its seeds), or one such folder per task. Each task's baseline values are the
// validation metrics of its run at that run's best epoch (the last when it has none). Reads run folders
// only (no TensorFlow), so `mtl validate` reports a missing folder or task against the spec's line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SEEDS_FILE, SINGLE_TASK_FILE, seedFolder, type SeedsIndex, type SingleTaskIndex } from '../util/group-layout';
import type { TaskMetrics } from './delta-m';

/** `baselines:` as written: one folder for every task, or a folder per task. */
export type BaselinesSpec = string | Record<string, string>;

export interface BaselineProblem {
  /** The task whose baseline entry is wrong (the map form), or undefined for the single folder. */
  task?: string;
  message: string;
  hint?: string;
}

interface Epoch {
  epoch: number;
  val?: { tasks: Record<string, Record<string, number>> };
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A run's validation metrics per task at its best epoch (else the last); a message when it has none. */
function runValues(dir: string): TaskMetrics | string {
  const m = readJson<{ epochs?: Epoch[]; best?: { epoch?: number | null } }>(path.join(dir, 'metrics.json'));
  if (!m || !Array.isArray(m.epochs)) return `${dir} is not a run folder (no readable metrics.json)`;
  const withVal = m.epochs.filter((e) => e.val);
  const e = withVal.find((x) => x.epoch === m.best?.epoch) ?? withVal[withVal.length - 1];
  return e?.val ? e.val.tasks : `${dir} has no validation records (it was trained with train.validation: none)`;
}

/** A run folder or a seed group (the mean of every value over its seeds). */
function folderValues(dir: string): TaskMetrics | string {
  if (fs.existsSync(path.join(dir, 'metrics.json'))) return runValues(dir);
  const index = readJson<Partial<SeedsIndex>>(path.join(dir, SEEDS_FILE));
  const runs = index?.runs ?? index?.seeds?.map(seedFolder);
  if (!runs?.length) return `${dir} holds no run (no metrics.json, ${SEEDS_FILE} or ${SINGLE_TASK_FILE})`;
  const members = runs.map((r) => runValues(path.join(dir, r)));
  const bad = members.find((v): v is string => typeof v === 'string');
  if (bad) return bad;
  const all = members as TaskMetrics[];
  const out: TaskMetrics = {};
  for (const [task, values] of Object.entries(all[0])) {
    for (const key of Object.keys(values)) {
      const xs = all.map((v) => v[task]?.[key]).filter((x): x is number => typeof x === 'number');
      if (xs.length === all.length) (out[task] ??= {})[key] = xs.reduce((a, b) => a + b, 0) / xs.length;
    }
  }
  return out;
}

/** One folder for the tasks `tasks`: a single-task baseline takes each task from its own subfolder. */
function valuesFor(dir: string, tasks: string[]): { values: TaskMetrics; problems: BaselineProblem[] } {
  const values: TaskMetrics = {};
  const problems: BaselineProblem[] = [];
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return { values, problems: [{ message: `no such folder: ${dir}`, hint: 'name a folder written by mtl train: a run, a seed group (--seeds) or a single-task baseline (--single-task)' }] };
  const single = readJson<Partial<SingleTaskIndex>>(path.join(dir, SINGLE_TASK_FILE));
  for (const task of tasks) {
    const sub = single ? single.tasks?.[task] : undefined;
    if (single && sub === undefined) {
      problems.push({ task, message: `the single-task baseline ${dir} has no task "${task}"`, hint: `it has: ${Object.keys(single.tasks ?? {}).join(', ') || 'none'}` });
      continue;
    }
    const got = folderValues(sub ? path.join(dir, sub) : dir);
    if (typeof got === 'string') problems.push({ task, message: got });
    else if (!got[task]) problems.push({ task, message: `the baseline ${dir} has no task "${task}"`, hint: `it has: ${Object.keys(got).join(', ') || 'none'}` });
    else values[task] = got[task];
  }
  return { values, problems };
}

/** Folder paths relative to `baseDir` made absolute (in place of the spec's values). */
export function resolveBaselines(b: BaselinesSpec, baseDir: string): BaselinesSpec {
  return typeof b === 'string' ? path.resolve(baseDir, b) : Object.fromEntries(Object.entries(b).map(([t, d]) => [t, path.resolve(baseDir, d)]));
}

/** The baseline values of `tasks` (the main tasks of the spec), or the problems that prevent them. */
export function readBaselines(b: BaselinesSpec, tasks: string[]): { values: TaskMetrics; problems: BaselineProblem[] } {
  if (typeof b === 'string') return valuesFor(b, tasks);
  const values: TaskMetrics = {};
  const problems: BaselineProblem[] = [];
  for (const task of tasks) {
    if (b[task] === undefined) {
      problems.push({ message: `no baseline for task "${task}"`, hint: `add ${task}: <run folder>, or give one folder for every task` });
      continue;
    }
    const one = valuesFor(b[task], [task]);
    Object.assign(values, one.values);
    problems.push(...one.problems.map((p) => ({ ...p, task })));
  }
  for (const t of Object.keys(b)) if (!tasks.includes(t)) problems.push({ task: t, message: `"${t}" is not a main task of the spec`, hint: `tasks: ${tasks.join(', ')}` });
  return { values, problems };
}

/** What validation read for a spec (keyed by the spec object it froze), so that training uses those values. */
const readAtValidation = new WeakMap<object, { values: TaskMetrics; problems: BaselineProblem[] }>();

/** readBaselines, remembered for `spec`: the values training measures Δm% against are the ones validation checked. */
export function readBaselinesFor(spec: object, b: BaselinesSpec, tasks: string[]): { values: TaskMetrics; problems: BaselineProblem[] } {
  const got = readBaselines(b, tasks);
  readAtValidation.set(spec, got);
  return got;
}

/** The baseline values validation read for `spec`, or undefined when it read none (e.g. a copied variant). */
export const baselinesReadFor = (spec: object): { values: TaskMetrics; problems: BaselineProblem[] } | undefined => readAtValidation.get(spec);
