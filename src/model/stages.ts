// Owns `stages:` resolved against a built model: which variables each stage freezes. The frozen set
// carries over from stage to stage — a stage adds its `freeze` list, then removes its `unfreeze` list —
// and the heads of the tasks a stage leaves out are frozen for that stage only. Patterns are matched
// as train.paramGroups' are (param-groups.ts: groups or globs, each must select a variable).
import type { ResolvedSpec } from '../spec/types';
import { matchVariables, type MatchProblem } from './param-groups';
import { stepVariables, type BuiltModel } from './build';

export interface StageVariables {
  name: string;
  /** Variable names frozen in this stage (the lists so far, and the heads of inactive tasks). */
  frozen: Set<string>;
  /** Names of the tasks trained in this stage, in task order. */
  active: string[];
  /** How many trainable variables this stage still trains (0: a spec error). */
  trained: number;
}

export interface StageProblem extends MatchProblem {
  stage: number;
  key: 'freeze' | 'unfreeze' | 'tasks';
}

/** Each stage's frozen variables and active tasks, and the patterns that select nothing. */
export function resolveStages(spec: ResolvedSpec, built: BuiltModel): { stages: StageVariables[]; problems: StageProblem[] } {
  const stages: StageVariables[] = [];
  const problems: StageProblem[] = [];
  const { shared, heads } = stepVariables(built);
  const taskNames = built.taskNames;
  const headOf = new Map(taskNames.map((t, i) => [t, new Set(heads[i].map((v) => v.name))]));
  const held = new Set<string>();
  for (const [i, st] of (spec.stages ?? []).entries()) {
    for (const key of ['freeze', 'unfreeze'] as const) {
      const { matches, problems: p } = matchVariables(spec, built, st[key]);
      problems.push(...p.map((x) => ({ ...x, stage: i, key })));
      for (const names of matches) for (const n of names) key === 'freeze' ? held.add(n) : held.delete(n);
    }
    const active = st.tasks ? taskNames.filter((t) => st.tasks!.includes(t)) : [...taskNames];
    const frozen = new Set(held);
    for (const t of taskNames) if (!active.includes(t)) for (const n of headOf.get(t) ?? []) frozen.add(n);
    const trained = [...shared, ...active.flatMap((t) => heads[taskNames.indexOf(t)])].filter((v) => !frozen.has(v.name)).length;
    if (!trained) problems.push({ stage: i, key: 'tasks', index: -1, message: `stage "${st.name}" leaves no variable to train for its tasks (${active.join(', ')})`, hint: 'unfreeze something, or activate a task whose head is not frozen' });
    stages.push({ name: st.name, frozen, active, trained });
  }
  return { stages, problems };
}

/** Layer name → 'all' when every trainable weight of the layer is frozen, 'some' when some are (for plot-model and summary). */
export function frozenLayers(built: BuiltModel, frozen: Set<string>): Map<string, 'all' | 'some'> {
  const out = new Map<string, 'all' | 'some'>();
  for (const layer of built.model.layers) {
    const ws = layer.trainableWeights;
    const n = ws.filter((w) => frozen.has(w.name)).length;
    if (n) out.set(layer.name, n === ws.length ? 'all' : 'some');
  }
  return out;
}
