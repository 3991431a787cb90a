// Owns `mtl train SPEC --resume RUN` when RUN is a member of a group folder (a seed-<n> of a seed group,
// a task-<t> of a single-task baseline, or a seed of a task's group): the member was trained on a
// variant of SPEC (another seed; one task alone), so the resume applies the same variant — SPEC as
// given differs from the run, and resume refused it, though the interrupt message named that command.
// When the member then finishes, the group's index lists it, so compare reads the group whole.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '../spec/types';
import { writeFileAtomic } from '../util/fs';
import { SEEDS_FILE, SINGLE_TASK_FILE, seedFolder, taskFolder, type SeedsIndex, type SingleTaskIndex } from '../util/group-layout';
import { seedVariant, singleTaskVariant } from './variants';

interface Membership {
  /** The group's folder and index file. */
  parent: string;
  kind: 'seed' | 'task';
  seed?: number;
  task?: string;
  /** The group this group is a member of (a task's seed group inside a single-task baseline). */
  outer?: Membership;
}

function readIndex(file: string): { kind?: string } | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Which group RUN belongs to, from its folder name and its parent's index file; undefined for a plain run. */
export function membership(runDir: string): Membership | undefined {
  const dir = path.resolve(runDir);
  const parent = path.dirname(dir);
  const name = path.basename(dir);
  const seed = /^seed-(-?\d+)$/.exec(name);
  if (seed && readIndex(path.join(parent, SEEDS_FILE))?.kind === 'seed-group') return { parent, kind: 'seed', seed: Number(seed[1]), outer: membership(parent) };
  const task = /^task-(.+)$/.exec(name);
  if (task && readIndex(path.join(parent, SINGLE_TASK_FILE))?.kind === 'single-task') return { parent, kind: 'task', task: task[1] };
  return undefined;
}

/** SPEC as the member was trained: the outer group's variant first (one task), then the seed. */
export function memberSpec(spec: Spec, m: Membership): Spec {
  const base = m.outer ? memberSpec(spec, m.outer) : spec;
  return m.kind === 'seed' ? seedVariant(base, m.seed!) : singleTaskVariant(base, m.task!);
}

/** The finished member joins its group's index (in the planned order), and the outer group's when that is now whole. */
export function recordMember(m: Membership, spec: Spec): void {
  if (m.kind === 'seed') {
    const file = path.join(m.parent, SEEDS_FILE);
    const index = readIndex(file) as SeedsIndex;
    const order = index.planned ?? [...index.seeds, m.seed!].sort((a, b) => a - b);
    const seeds = order.filter((s) => s === m.seed || index.seeds.includes(s));
    writeFileAtomic(file, JSON.stringify({ ...index, seeds, runs: seeds.map(seedFolder) }, null, 2));
    const whole = (index.planned ?? []).every((s) => seeds.includes(s));
    if (m.outer && whole) recordMember(m.outer, spec);
    return;
  }
  const file = path.join(m.parent, SINGLE_TASK_FILE);
  const index = readIndex(file) as SingleTaskIndex;
  const tasks = Object.keys(spec.resolved.tasks).filter((t) => t === m.task || t in index.tasks);
  writeFileAtomic(file, JSON.stringify({ ...index, tasks: Object.fromEntries(tasks.map((t) => [t, taskFolder(t)])) }, null, 2));
}
