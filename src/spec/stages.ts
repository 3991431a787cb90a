// Owns the checks of `stages:` (docs/training-control.md#stages): before TensorFlow — unique names,
// tasks that exist, heads.<task> patterns naming tasks, the epochs adding up to train.epochs (filled in
// when the spec leaves it out), weight schedules only under static weighting — and against the built
// model: every freeze/unfreeze pattern selects a variable, every stage leaves something to train.
import type { Problem } from '../errors';
import type { BuiltModel } from '../model/build';
import { resolveStages } from '../model/stages';
import { didYouMean } from '../util/suggest';
import type { LoadedSpec } from './load';
import type { ResolvedSpec } from './types';

type At = (path: (string | number)[], p: Omit<Problem, 'where'>, key?: boolean) => void;

/** Static checks; fills train.epochs with the stages' sum when the spec does not set it. Run before weights are resolved. */
export function checkStages(loaded: LoadedSpec, spec: ResolvedSpec, at: At): void {
  const stages = spec.stages;
  if (!stages) return;
  const taskNames = Object.keys(spec.tasks);
  const seen = new Set<string>();
  stages.forEach((st, i) => {
    if (seen.has(st.name)) at(['stages', i, 'name'], { message: `stage name "${st.name}" is used twice` });
    seen.add(st.name);
    (st.tasks ?? []).forEach((t, k) => {
      if (!spec.tasks[t]) at(['stages', i, 'tasks', k], { message: `unknown task "${t}"`, allowed: taskNames.join(', '), hint: didYouMean(t, taskNames) });
    });
    for (const key of ['freeze', 'unfreeze'] as const) {
      st[key].forEach((p, k) => {
        const t = p.startsWith('heads.') ? p.slice('heads.'.length) : undefined;
        if (t !== undefined && !spec.tasks[t]) at(['stages', i, key, k], { message: `"${p}" names no task`, allowed: taskNames.map((n) => `heads.${n}`).join(', '), hint: didYouMean(t, taskNames) });
      });
    }
    const w = st.weighting;
    if (w && 'weights' in w) at(['stages', i, 'weighting', 'weights'], { message: 'static weights are set once, at tasks.<t>.weight' }, true);
    if (w && w.method !== 'static') {
      const scheduled = taskNames.filter((t) => typeof spec.tasks[t].weight === 'object');
      if (scheduled.length) at(['stages', i, 'weighting'], { message: `tasks ${scheduled.join(', ')} have a weight schedule, which needs weighting.method static`, received: w.method });
    }
  });
  const sum = stages.reduce((a, st) => a + st.epochs, 0);
  if (loaded.doc.getIn(['train', 'epochs']) === undefined) spec.train.epochs = sum;
  else if (spec.train.epochs !== sum) {
    at(['train', 'epochs'], { message: `the stages make ${sum} epochs (${stages.map((s) => `${s.name} ${s.epochs}`).join(' + ')}), but train.epochs is ${spec.train.epochs}`, hint: 'leave train.epochs out (it is then the stages\' sum), or make them agree' });
  }
}

/** Checks against the built model: patterns that select nothing, stages with nothing to train. */
export function checkStagesOnModel(spec: ResolvedSpec, built: BuiltModel, at: At): void {
  if (!spec.stages) return;
  for (const p of resolveStages(spec, built).problems) {
    const path = p.index >= 0 ? ['stages', p.stage, p.key, p.index] : ['stages', p.stage];
    at(path, { message: p.message, ...(p.allowed ? { allowed: p.allowed } : {}), ...(p.hint ? { hint: p.hint } : {}) });
  }
}
