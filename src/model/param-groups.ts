// Owns train.paramGroups resolved against a built model: the variables each entry's `match` selects
// — a group (`backbone`/`shared`, `heads.<task>`, `architecture`) or a glob on layer or variable
// names — and the learning-rate multiplier and weight decay each variable ends up with. The first
// entry that matches a variable decides for it; an entry that matches no variable is a spec error.
import type { ParamGroupSpec, ResolvedSpec } from '../spec/types';
import { didYouMean } from '../util/suggest';
import type { BuiltModel } from './build';

export interface VariableRule {
  lrMultiplier: number;
  /** null: the optimizer's weight decay. */
  weightDecay: number | null;
}

/** Variable name → its rule; variables no entry matches are absent (multiplier 1, the optimizer's decay). */
export type ParamGroupRules = Map<string, VariableRule>;

export type ParamGroupProblem = MatchProblem;

const GROUPS = ['backbone', 'shared', 'architecture'];

/** `*` any run of characters (slashes included), `?` one character; the whole name must match. */
export function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Names of the layers of each task's head (buildHead's naming; a block's sub-layers start with its name). */
function headLayers(spec: ResolvedSpec): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(spec.tasks).map(([t, task]) => [t, task.head.map((item, i) => (i === task.head.length - 1 ? t : `${t}_${i + 1}_${Object.keys(item)[0]}`))]),
  );
}

/** The group names a layer belongs to: `heads.<task>`, `architecture`, or `backbone` and `shared`. */
function groupsOf(layer: string, heads: Record<string, string[]>, units: Set<string>): string[] {
  for (const [t, names] of Object.entries(heads)) {
    if (names.some((n) => layer === n || (n !== t && layer.startsWith(`${n}_`)))) return [`heads.${t}`];
  }
  return units.has(layer) ? ['architecture'] : ['backbone', 'shared'];
}

/** Whether `match` names a group rather than a glob. */
const isGroup = (match: string) => GROUPS.includes(match) || match.startsWith('heads.');

/** A pattern that selects nothing, and why (reported at the pattern's own path by the caller). */
export interface MatchProblem {
  index: number;
  message: string;
  allowed?: string;
  hint?: string;
}

/**
 * The variables each pattern selects — a group (`backbone`/`shared`, `heads.<task>`, `architecture`)
 * or a glob on layer or variable names — as lists of variable names in model order, and a problem for
 * each pattern that selects nothing. Shared by train.paramGroups and stages' freeze/unfreeze lists.
 * All weights count, so that a pretrained backbone frozen for now (unfreezeAfter) can be named too.
 */
export function matchVariables(spec: ResolvedSpec, built: BuiltModel, patterns: readonly string[]): { matches: string[][]; problems: MatchProblem[] } {
  const heads = headLayers(spec);
  const units = new Set(built.units ?? []);
  const taskNames = Object.keys(spec.tasks);
  const matchers = patterns.map((p) => (isGroup(p) ? null : globRegExp(p)));
  const matches: string[][] = patterns.map(() => []);
  for (const layer of built.model.layers) {
    const groups = groupsOf(layer.name, heads, units);
    for (const w of layer.weights) {
      patterns.forEach((p, i) => {
        const re = matchers[i];
        if (re ? re.test(layer.name) || re.test(w.name) || re.test(w.originalName) : groups.includes(p)) matches[i].push(w.name);
      });
    }
  }
  const problems: MatchProblem[] = [];
  patterns.forEach((p, i) => {
    if (matches[i].length) return;
    const t = p.startsWith('heads.') ? p.slice('heads.'.length) : undefined;
    if (t !== undefined && !taskNames.includes(t)) {
      problems.push({ index: i, message: `"${p}" names no task`, allowed: taskNames.map((n) => `heads.${n}`).join(', '), hint: didYouMean(t, taskNames) });
    } else {
      const names = built.model.layers.filter((l) => l.weights.length).map((l) => l.name);
      problems.push({
        index: i,
        message: `"${p}" matches no variable of the model`,
        allowed: `backbone, shared, architecture, heads.<task>, or a glob on layer names (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}) or variable names (layer/kernel)`,
        hint: didYouMean(p, [...GROUPS, ...taskNames.map((n) => `heads.${n}`), ...names]),
      });
    }
  });
  return { matches, problems };
}

/** Each trainable variable's rule under `entries` (the first entry matching a variable decides), and the entries that select nothing. */
export function resolveParamGroups(spec: ResolvedSpec, built: BuiltModel, entries: readonly ParamGroupSpec[] = spec.train.paramGroups ?? []): { rules: ParamGroupRules; problems: ParamGroupProblem[] } {
  const { matches, problems } = matchVariables(spec, built, entries.map((e) => e.match));
  const rules: ParamGroupRules = new Map();
  entries.forEach((e, i) => {
    for (const name of matches[i]) if (!rules.has(name)) rules.set(name, { lrMultiplier: e.lrMultiplier, weightDecay: e.weightDecay });
  });
  return { rules, problems };
}
