// Owns training a group of runs into one parent folder (layout: util/group-layout.ts): `--seeds N` runs
// the spec under N seeds; `--single-task` trains each task alone (each a seed group with --seeds).
// The index file is rewritten after every finished run, so an interrupted group still reads as the
// runs it completed.
import * as path from 'node:path';
import { selectBackend } from '../backend/select';
import type { Spec } from '../spec/types';
import { validateSpecFile } from '../spec/validate';
import { makeDirs, writeFileAtomic } from '../util/fs';
import { SEEDS_FILE, SINGLE_TASK_FILE, seedFolder, taskFolder, type SeedsIndex, type SingleTaskIndex } from '../util/group-layout';
import { train, type TrainOptions, type TrainResult } from './loop';
import { groupSeeds, seedVariant, singleTaskVariant } from './variants';

export interface GroupOptions extends Omit<TrainOptions, 'resume' | 'spec'> {
  /** Runs per spec, one per seed (1: a plain run folder). */
  seeds: number;
  /** Called before each run starts, e.g. to print which one. */
  onRun?: (label: string) => void;
  /** The spec file already validated (by the CLI, to read train.seeds): not validated again. */
  validated?: Spec;
}

export interface GroupResult {
  parent: string;
  runs: TrainResult[];
}

function parentFolder(spec: Spec, kind: string, out: string | undefined): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return path.resolve(out ?? path.join(spec.resolved.output.dir, `${spec.resolved.name}-${kind}-${stamp}`));
}

async function seedGroup(spec: Spec, parent: string, opts: GroupOptions, label: string): Promise<TrainResult[]> {
  const seeds = groupSeeds(spec, opts.seeds);
  const done: number[] = [];
  const results: TrainResult[] = [];
  makeDirs(parent);
  for (const [i, seed] of seeds.entries()) {
    opts.onRun?.(`${label}seed ${seed} (${i + 1}/${seeds.length})`);
    results.push(await train(spec.file, { ...opts, spec: seedVariant(spec, seed), out: path.join(parent, seedFolder(seed)) }));
    done.push(seed);
    const index: SeedsIndex = { version: 1, kind: 'seed-group', spec: spec.file, seeds: done, runs: done.map(seedFolder), planned: seeds };
    writeFileAtomic(path.join(parent, SEEDS_FILE), JSON.stringify(index, null, 2));
  }
  return results;
}

/** `mtl train SPEC --seeds N`: N runs of the spec under seeds s, s+1, … into one parent folder. */
export async function trainSeeds(specFile: string, opts: GroupOptions): Promise<GroupResult> {
  await selectBackend(opts.backend ?? 'auto', { threads: opts.threads }); // validation builds the model symbolically
  const spec = opts.validated ?? validateSpecFile(specFile);
  const parent = parentFolder(spec, 'seeds', opts.out);
  return { parent, runs: await seedGroup(spec, parent, opts, '') };
}

/** `mtl train SPEC --single-task [--seeds N]`: one model per task, each alone, into one baseline folder. */
export async function trainSingleTask(specFile: string, opts: GroupOptions): Promise<GroupResult> {
  await selectBackend(opts.backend ?? 'auto', { threads: opts.threads }); // validation builds the model symbolically
  const spec = opts.validated ?? validateSpecFile(specFile);
  const tasks = Object.keys(spec.resolved.tasks);
  const variants = tasks.map((t) => singleTaskVariant(spec, t)); // all validated before the first run starts
  const parent = parentFolder(spec, 'single-task', opts.out);
  const runs: TrainResult[] = [];
  const done: string[] = [];
  for (const [i, task] of tasks.entries()) {
    const dir = path.join(parent, taskFolder(task));
    const label = `task ${task} (${i + 1}/${tasks.length})`;
    if (opts.seeds > 1) runs.push(...(await seedGroup(variants[i], dir, opts, `${label}, `)));
    else {
      opts.onRun?.(label);
      runs.push(await train(specFile, { ...opts, spec: variants[i], out: dir }));
    }
    done.push(task);
    const index: SingleTaskIndex = { version: 1, kind: 'single-task', spec: spec.file, tasks: Object.fromEntries(done.map((t) => [t, taskFolder(t)])) };
    writeFileAtomic(path.join(parent, SINGLE_TASK_FILE), JSON.stringify(index, null, 2));
  }
  return { parent, runs };
}
