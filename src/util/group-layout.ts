// Owns the names in a group folder (docs/after-training.md), shared by the trainer that writes
// groups, the spec's baselines (eval/baselines.ts)
// and the readers of finished runs; no TensorFlow here so `mtl compare` stays light.
//   PARENT/seeds.json        {"version": 1, "kind": "seed-group", "spec", "seeds": [...], "runs": ["seed-42", ...]}
//   PARENT/seed-<seed>/      one ordinary run folder per seed
//   PARENT/single-task.json  {"version": 1, "kind": "single-task", "spec", "tasks": {"left": "task-left", ...}}
//   PARENT/task-<task>/      that task trained alone: a run folder, or a seed group

export const SEEDS_FILE = 'seeds.json';
export const SINGLE_TASK_FILE = 'single-task.json';
export const seedFolder = (seed: number) => `seed-${seed}`;
export const taskFolder = (task: string) => `task-${task}`;

export interface SeedsIndex {
  version: 1;
  kind: 'seed-group';
  spec: string;
  /** Seeds whose runs finished, in order. */
  seeds: number[];
  runs: string[];
  /** Every seed the group was asked for. */
  planned?: number[];
}

export interface SingleTaskIndex {
  version: 1;
  kind: 'single-task';
  spec: string;
  /** Task → its folder, for the tasks whose runs finished. */
  tasks: Record<string, string>;
}
