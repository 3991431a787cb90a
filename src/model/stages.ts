// Owns `stages:` resolved against a built model: which variables each stage freezes. The frozen set
// carries over from stage to stage — a stage adds its `freeze` list, then removes its `unfreeze` list —
// and the heads of the tasks a stage leaves out are frozen for that stage only. Patterns are matched
// as train.paramGroups' are (param-groups.ts: groups or globs, each must select a variable).
import { MtlError } from '../errors';
import type * as tf from '@tensorflow/tfjs';
import type { ResolvedSpec } from '../spec/types';
import { didYouMean } from '../util/suggest';
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

/** What plot-model and summary show for one stage: its name and position, and the layers it freezes. */
export interface StageView {
  name: string;
  index: number;
  count: number;
  /** Layer name → 'all' (every trainable weight frozen) or 'some'. */
  layers: Map<string, 'all' | 'some'>;
  /** Tasks the stage leaves out. */
  inactive: string[];
  /** Layer name → trainable parameters of that layer the stage freezes. */
  frozenByLayer: Map<string, number>;
}

/** The stage `name` (default: the first), or undefined for a spec without stages (then a name is a usage error). */
export function stageView(spec: ResolvedSpec, built: BuiltModel, name?: string): StageView | undefined {
  const stages = spec.stages;
  if (!stages) {
    if (name !== undefined) throw new MtlError('usage', [{ where: {}, message: `--stage ${name}: the spec has no stages` }]);
    return undefined;
  }
  const names = stages.map((s) => s.name);
  const index = name === undefined ? 0 : names.indexOf(name);
  if (index < 0) throw new MtlError('usage', [{ where: {}, message: `--stage: unknown stage "${name}"`, allowed: names.join(', '), hint: didYouMean(name!, names) }]);
  const st = resolveStages(spec, built).stages[index];
  const size = (w: { shape: Array<number | null> }) => w.shape.reduce((x: number, d) => x * (d ?? 1), 1);
  const frozenByLayer = new Map<string, number>();
  for (const layer of built.model.layers) {
    const n = layer.trainableWeights.filter((w) => st.frozen.has(w.name)).reduce((a, w) => a + size(w), 0);
    if (n) frozenByLayer.set(layer.name, n);
  }
  return { name: st.name, index, count: stages.length, layers: frozenLayers(built, st.frozen), inactive: built.taskNames.filter((t) => !st.active.includes(t)), frozenByLayer };
}

/** Layers whose call follows inferenceWhenFrozen: whether each is frozen now. */
const patched = new WeakMap<tf.layers.Layer, { frozen: boolean }>();

/**
 * A layer with moving statistics (batch norm) whose trainable weights are all frozen runs in inference
 * mode, so its statistics stay too — as Keras does for a non-trainable BatchNormalization. Unfreezing
 * it restores training mode.
 */
export function inferenceWhenFrozen(built: BuiltModel, frozen: Set<string>): void {
  for (const layer of built.model.layers) {
    if (!layer.nonTrainableWeights.length || !layer.trainableWeights.length) continue;
    let state = patched.get(layer);
    if (!state) {
      const s = (state = { frozen: false });
      const call = layer.call.bind(layer);
      layer.call = (inputs, kwargs) => call(inputs, s.frozen ? { ...kwargs, training: false } : kwargs);
      patched.set(layer, s);
    }
    state.frozen = layer.trainableWeights.every((w) => frozen.has(w.name));
  }
}
