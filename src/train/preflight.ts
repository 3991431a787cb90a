// Owns the checks of a spec that need the built model or the weighting method — run by `mtl validate`
// and by `mtl train` before a run folder exists: errors training would otherwise raise at step 0, and
// warnings about settings that are legal but do not do what they seem to.
import { configError, type Problem } from '../errors';
import { buildModel } from '../model/build';
import { splitModel } from '../model/split';
import type { Spec } from '../spec/types';
import { strategies } from '../weighting/index';
import { weightingOptions } from '../weighting/options';

/** Methods that read tasks.<t>.weight (static: as the weights; stch: as its preferences λ). */
const USES_TASK_WEIGHTS = new Set(['static', 'stch']);

/** Throws a config error for what training would reject; returns warnings (one line each). */
export function preflight(spec: Spec): string[] {
  const r = spec.resolved;
  const method = r.weighting.method;
  const names = Object.keys(r.tasks);
  const gradient = needsGradients(r.weighting, spec);
  const problems: Problem[] = [];
  const warnings: string[] = [];
  // The top-level weighting and each stage's own: gradSpace representation needs a split model.
  const sections = [{ w: r.weighting, at: 'weighting' }, ...(r.stages ?? []).flatMap((st, i) => (st.weighting ? [{ w: st.weighting, at: `stages[${i}].weighting` }] : []))];
  for (const { w, at } of sections) {
    if (weightingOptions(w).gradSpace !== 'representation' || !needsGradients(w, spec)) continue;
    const built = buildModel(spec.resolved);
    const split = splitModel(built);
    built.model.dispose();
    if (typeof split === 'string') problems.push({ where: { path: `${at}.gradSpace` }, message: `gradSpace "representation" needs one shared representation feeding every head, but ${split}`, allowed: 'parameters' });
  }
  const weighted = names.filter((t) => r.tasks[t].weight !== 1);
  if (weighted.length && !USES_TASK_WEIGHTS.has(method)) {
    warnings.push(`tasks.${weighted[0]}.weight is ignored by weighting method "${method}" (only static and stch read task weights)`);
  }
  const data = r.data as { type?: string; tasks?: unknown; sampling?: string | { type: string } };
  const sampling = typeof data.sampling === 'object' ? data.sampling.type : data.sampling;
  if (gradient && data.type === 'files' && data.tasks && sampling && sampling !== 'all') {
    warnings.push(`data.sampling "${sampling}" puts one task in each batch, so gradient method "${method}" sees one task per step (T' = 1) and balances nothing; use sampling: all`);
  }
  if (problems.length) throw configError(problems);
  return warnings;
}

/** Whether a weighting section's method takes per-task gradients. */
function needsGradients(w: Spec['resolved']['weighting'], spec: Spec): boolean {
  const names = Object.keys(spec.resolved.tasks);
  const strategy = strategies.get(w.method).create(w, { taskNames: names, taskWeights: names.map((t) => spec.resolved.tasks[t].weight), seed: spec.resolved.seed });
  const gradient = strategy.needs === 'task-gradients';
  strategy.dispose();
  return gradient;
}
