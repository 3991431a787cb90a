// Owns reading finished run folders for compare, plot-metrics and report: metrics.json, the step lines
// of metrics.jsonl, eval-<split>.json, config.resolved.yaml, seed groups and single-task baseline
// folders (layouts: util/group-layout.ts). A folder without seeds.json whose seed-*/ subfolders hold
// metrics.json is read as a seed group too. No TensorFlow here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { usageError } from '../errors';
import { SEEDS_FILE, SINGLE_TASK_FILE, seedFolder, type SeedsIndex, type SingleTaskIndex } from '../util/group-layout';

export interface SplitRecord {
  loss: number;
  tasks: Record<string, Record<string, number>>;
  samples?: number;
  /** Tasks whose accuracy answering one label for every row matches (src/eval/constant-answer.ts). */
  noBetterThanConstant?: Record<string, { label: number; name?: string; accuracy: number }>;
}

export interface EpochRecord {
  epoch: number;
  train: SplitRecord;
  val?: SplitRecord;
  weights?: Record<string, number>;
  wallTime?: number;
  samplesPerSecond?: number;
  diagnostics?: { gradNorms?: Record<string, number>; cosine?: number[][] };
  /** Mixture-of-experts gates (mmoe, cgc, ple, dselect-k): each gate's statistics this epoch. */
  gates?: Record<string, { utilisation?: number[]; normalisedEntropy?: number; collapsed?: string }>;
}

export interface StepRecord {
  epoch: number;
  step: number;
  weights?: Record<string, number>;
  gradNorms?: Record<string, number>;
  cosine?: number[][];
  /** The tasks labelled in the step, when some task was not (the others' entries are 0 placeholders). */
  present?: string[];
}

export interface MetricsFile {
  run?: { name?: string; status?: string; backend?: { name?: string }; seed?: number; startedAt?: string; endedAt?: string; spec?: string; data?: string; resumed?: Array<{ pausedSeconds?: number }> };
  tasks?: Record<string, { type?: string; loss?: string; metrics?: string[] }>;
  weighting?: string;
  epochs: EpochRecord[];
  best?: { epoch?: number | null; value?: number | null; monitor?: string };
  test?: SplitRecord;
}

export interface RunRecord {
  dir: string;
  metrics: MetricsFile;
  /** eval-<split>.json files by split. */
  evals: Record<string, SplitRecord>;
  steps: StepRecord[];
  /** config.resolved.yaml as text and parsed ('' / {} when absent). */
  configText: string;
  config: Record<string, unknown>;
}

export interface RunGroup {
  dir: string;
  name: string;
  /** One member for a plain run folder; one per seed for a seed group. */
  members: RunRecord[];
  /** The seeds of a seed group; null for a plain run folder. */
  seeds: number[] | null;
  /** Every seed the group was asked for (seeds.json), when it records them. */
  planned?: number[];
  /** A single-task baseline folder: each task's own run (or seed group); `members` holds all their runs. */
  tasks?: Record<string, RunGroup>;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw usageError([{ where: { file }, message: `cannot read this JSON file: ${(err as Error).message}` }]);
  }
}

function readSteps(file: string): StepRecord[] {
  if (!fs.existsSync(file)) return [];
  const steps: StepRecord[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{"type":"step"')) continue;
    try {
      steps.push(JSON.parse(line) as StepRecord);
    } catch {
      // A line cut short by an interrupted run: the lines before it are still good.
    }
  }
  return steps;
}

/** Read one run folder (it must hold metrics.json). */
export function readRun(dir: string): RunRecord {
  const file = path.join(dir, 'metrics.json');
  if (!fs.existsSync(file)) {
    throw usageError([{ where: { file: dir }, message: 'not a run folder: it has no metrics.json', hint: 'pass a folder written by mtl train (or a seed group with seeds.json)' }]);
  }
  const metrics = readJson(file) as MetricsFile;
  if (!Array.isArray(metrics.epochs)) throw usageError([{ where: { file }, message: 'metrics.json has no "epochs" list' }]);
  const evals: Record<string, SplitRecord> = {};
  for (const f of fs.readdirSync(dir)) {
    const m = /^eval-(.+)\.json$/.exec(f);
    if (m) evals[m[1]] = readJson(path.join(dir, f)) as SplitRecord;
  }
  const configFile = path.join(dir, 'config.resolved.yaml');
  const configText = fs.existsSync(configFile) ? fs.readFileSync(configFile, 'utf8') : '';
  const config = (configText ? parseYaml(configText) : {}) as Record<string, unknown>;
  return { dir, metrics, evals, steps: readSteps(path.join(dir, 'metrics.jsonl')), configText, config };
}

function seedMembers(dir: string): { seeds: number[]; runs: string[]; planned?: number[] } | null {
  const file = path.join(dir, SEEDS_FILE);
  if (fs.existsSync(file)) {
    const s = readJson(file) as Partial<SeedsIndex>;
    const seeds = s.seeds ?? [];
    return { seeds, runs: s.runs ?? seeds.map(seedFolder), ...(s.planned ? { planned: s.planned } : {}) };
  }
  const found = fs
    .readdirSync(dir)
    .map((f) => /^seed-(-?\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(dir, m[0], 'metrics.json')))
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  return found.length > 0 ? { seeds: found.map((m) => Number(m[1])), runs: found.map((m) => m[0]) } : null;
}

/** Read a run folder or a seed group. */
export function readRunGroup(dir: string): RunGroup {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw usageError([{ where: { file: dir }, message: 'no such run folder' }]);
  }
  const name = path.basename(path.resolve(dir));
  const singleTask = path.join(dir, SINGLE_TASK_FILE);
  if (fs.existsSync(singleTask)) {
    const index = readJson(singleTask) as Partial<SingleTaskIndex>;
    const tasks = Object.fromEntries(Object.entries(index.tasks ?? {}).map(([t, f]) => [t, readRunGroup(path.join(dir, f))]));
    const parts = Object.values(tasks);
    return { dir, name, members: parts.flatMap((g) => g.members), seeds: parts[0]?.seeds ?? null, tasks };
  }
  const group = fs.existsSync(path.join(dir, 'metrics.json')) ? null : seedMembers(dir);
  if (!group) return { dir, name, members: [readRun(dir)], seeds: null };
  return { dir, name, members: group.runs.map((r) => readRun(path.join(dir, r))), seeds: group.seeds, ...(group.planned ? { planned: group.planned } : {}) };
}

/** Task names of a run, in the order it trained them. */
export function taskNames(run: RunRecord): string[] {
  if (run.metrics.tasks) return Object.keys(run.metrics.tasks);
  const first = run.metrics.epochs[0];
  return first ? Object.keys(first.train.tasks) : Object.keys(run.metrics.test?.tasks ?? {});
}

/**
 * The groups of `compare` and `report`: the baseline first (when given), then each run folder once — a
 * folder named as a run and as the baseline is the baseline (it was counted twice, "4 runs" for three
 * folders, and named by its path as if two folders shared its name) — with distinct display names.
 */
export function readRunGroups(runs: string[], baselineDir?: string): { groups: RunGroup[]; baseline?: RunGroup } {
  const same = (a: string, b: string) => path.resolve(a) === path.resolve(b);
  const dirs = [...(baselineDir ? [baselineDir] : []), ...runs].filter((d, i, all) => all.findIndex((e) => same(d, e)) === i);
  const all = distinctNames(dirs.map(readRunGroup));
  return baselineDir ? { groups: all.slice(1), baseline: all[0] } : { groups: all };
}

/** Give every group a distinct display name (the folder name, or its path when two share a name). */
export function distinctNames(groups: RunGroup[]): RunGroup[] {
  const count = new Map<string, number>();
  for (const g of groups) count.set(g.name, (count.get(g.name) ?? 0) + 1);
  return groups.map((g) => ((count.get(g.name) ?? 0) > 1 ? { ...g, name: path.relative(process.cwd(), path.resolve(g.dir)) || '.' } : g));
}
