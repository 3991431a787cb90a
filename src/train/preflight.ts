// Owns the checks of a spec that need the built model or the weighting method — run by `mtl validate`
// and by `mtl train` before a run folder exists: errors training would otherwise raise at step 0, and
// warnings about settings that are legal but do not do what they seem to.
import { configError, MtlError, type PathSeg, type Problem } from '../errors';
import { fieldsReadByInputAndTarget } from '../data/files/config';
import { buildModel } from '../model/build';
import { splitModel } from '../model/split';
import type { ArraySet } from '../data/types';
import type { ResolvedSpec, Spec } from '../spec/types';
import { metrics } from '../metrics/index';
import { strategies } from '../weighting/index';
import { weightingOptions } from '../weighting/options';

/** Methods that read tasks.<t>.weight (static: as the weights; stch: as its preferences λ). */
const USES_TASK_WEIGHTS = new Set(['static', 'stch']);

/**
 * Throws a config error for what training would reject, each problem at its file:line:col as
 * validate's are; returns warnings (one line each).
 */
export function preflight(spec: Spec): string[] {
  try {
    return checks(spec);
  } catch (e) {
    if (e instanceof MtlError && e.kind === 'config' && spec.locate) throw configError(e.problems.map((p) => located(spec, p)));
    throw e;
  }
}

/** A problem that names only a path into the spec, given the file position of that path. */
function located(spec: Spec, p: Problem): Problem {
  const at = p.where.path;
  if (!at || p.where.line !== undefined || !spec.locate) return p;
  const segs: PathSeg[] = at.split(/\.|(?=\[)/).map((x) => (/^\[\d+\]$/.test(x) ? Number(x.slice(1, -1)) : x));
  return { ...p, where: { ...p.where, ...spec.locate(segs), path: at } };
}

/** The checks themselves: problems name a path (preflight adds its file position). */
function checks(spec: Spec): string[] {
  const r = spec.resolved;
  const method = r.weighting.method;
  const names = Object.keys(r.tasks);
  const { gradient } = capabilities(r, r.weighting);
  const problems: Problem[] = [];
  const warnings: string[] = [];
  // The top-level weighting and each stage's own: gradSpace representation needs a split model.
  for (const { w, at } of weightingSections(r)) {
    if (weightingOptions(w).gradSpace !== 'representation' || !capabilities(r, w, at).gradient) continue;
    const built = buildModel(spec.resolved);
    const split = splitModel(built);
    built.model.dispose();
    if (typeof split === 'string') problems.push({ where: { path: `${at}.gradSpace` }, message: `gradSpace "representation" needs one shared representation feeding every head, but ${split}`, allowed: 'parameters' });
  }
  validationChecks(r, problems, warnings);
  const weighted = names.filter((t) => r.tasks[t].weight !== 1);
  if (weighted.length && !USES_TASK_WEIGHTS.has(method)) {
    warnings.push(`tasks.${weighted[0]}.weight is ignored by weighting method "${method}" (only static and stch read task weights)`);
  }
  const data = r.data as { type?: string; tasks?: unknown; sampling?: string | { type: string } };
  const sampling = typeof data.sampling === 'object' ? data.sampling.type : data.sampling;
  if (gradient && data.type === 'files' && data.tasks && sampling && sampling !== 'all') {
    warnings.push(`data.sampling "${sampling}" puts one task in each batch, so gradient method "${method}" sees one task per step (T' = 1) and balances nothing; use sampling: all`);
  }
  warnings.push(...crossTaskMetricWarnings(r), ...labelAsInputWarnings(r), ...boundedHeadWarnings(r), ...mixtureWarnings(r));
  // Mixture-of-experts architectures build each expert from architecture.expert; the backbone list is only its default.
  const arch = r.architecture as { type: string; expert?: unknown };
  if (arch.expert !== undefined && Array.isArray(r.backbone) && r.backbone.length) {
    warnings.push(`backbone is not used: architecture "${arch.type}" builds its experts from architecture.expert (the backbone list is only their default); keep one of the two`);
  }
  if (problems.length) throw configError(problems);
  return warnings;
}

/**
 * Mixtures that mix nothing: MMoE or DSelect-k with one expert (every gate gives it weight 1: hard sharing
 * through that expert, with gates that train for nothing), and DSelect-k with more selectors than experts
 * (the k selectors can only pick among the experts, so some pick the same one: k = experts already lets
 * every expert in).
 */
function mixtureWarnings(r: ResolvedSpec): string[] {
  const arch = r.architecture as { type: string; experts?: number; k?: number };
  if (arch.type !== 'mmoe' && arch.type !== 'dselect-k') return [];
  if (arch.experts === 1) {
    return [`architecture.experts is 1: every task's gate gives the one expert weight 1, so "${arch.type}" is hard sharing through that expert (its gates train for nothing); use architecture: hard, or 2 or more experts`];
  }
  if (arch.type === 'dselect-k' && arch.k !== undefined && arch.experts !== undefined && arch.k > arch.experts) {
    return [`architecture.k ${arch.k} is more than architecture.experts ${arch.experts}: each gate's ${arch.k} selectors choose among ${arch.experts} experts, so some choose the same one; k: ${arch.experts} already lets every expert in`];
  }
  return [];
}

/** Below this many rows a table costs too little to warn about. */
const LARGE_TABLE = 1000;

/**
 * Once the data is loaded: a features-block embedding whose table (inputDim, by default the
 * `vocabulary` limit of 10000) has more than ten times as many rows as the ids the training data gives its input.
 * The other rows are never read, in training or prediction, yet are counted and trained as parameters.
 */
export function unusedTableWarnings(r: ResolvedSpec, dataState: unknown): string[] {
  const encoders = (dataState as { encoders?: Record<string, { vocabulary?: unknown[] }> } | undefined)?.encoders ?? {};
  return Object.entries(r.features ?? {}).flatMap(([name, f]) => {
    const vocabulary = encoders[`inputs.${name}`]?.vocabulary;
    if (!f?.embedding || !f.inputDim || !Array.isArray(vocabulary)) return [];
    const ids = vocabulary.length + 2;
    if (f.inputDim < LARGE_TABLE || ids * 10 >= f.inputDim) return [];
    const unused = (f.inputDim - ids) * f.embedding;
    return [`features.${name}: the embedding table has ${f.inputDim} rows, but the training data gives input "${name}" ${ids} ids (${vocabulary.length} values, padding, out of vocabulary): ${unused.toLocaleString('en-US')} of its ${(f.inputDim * f.embedding).toLocaleString('en-US')} parameters are never read; set vocabulary: ${Math.max(3, ids)} on data.inputs.${name}`];
  });
}

/**
 * A task whose labelled training rows all carry the same label has nothing to learn: predicting that
 * value drives its loss to 0, its metrics say nothing (r2 is 0 by convention, accuracy 1), and a
 * z-scored one gets sd 1 from a guard. Most often a filter or a join went wrong upstream. Reads the
 * in-memory training split (streamed sources are not read twice for this).
 */
export function constantTargetWarnings(train: ArraySet | undefined, classNames?: Record<string, string[]>, dataState?: unknown): string[] {
  if (!train?.size) return [];
  const encoders = (dataState as { encoders?: Record<string, { mean?: number[]; std?: number[] }> } | undefined)?.encoders ?? {};
  // A z-scored target's labels in the data's units.
  const raw = (t: string, v: number, at: number) => {
    const e = encoders[`targets.${t}`];
    return e?.mean && e.std ? v * e.std[at] + e.mean[at] : v;
  };
  return Object.entries(train.targets).flatMap(([t, col]) => {
    const per = col.data.length / train.size;
    const perRow = col.mask && col.mask.length === train.size ? col.mask : undefined;
    const perValue = col.mask && col.mask.length !== train.size ? col.mask : undefined;
    // Each position of a row against the first labelled row's (every token against the first, per token).
    const first = new Map<number, number>();
    let labelled = 0;
    for (let k = 0; k < col.data.length; k++) {
      if ((perRow && !perRow[Math.floor(k / per)]) || (perValue && !perValue[k])) continue;
      const at = perValue ? 0 : k % per;
      const v = col.data[k];
      if (!first.has(at)) first.set(at, v);
      else if (!Object.is(first.get(at), v)) return [];
      if (at === 0) labelled++;
    }
    if (labelled < 2) return [];
    const v = first.get(0)!;
    const name = classNames?.[t]?.[v];
    const values = [...first.entries()].map(([at, x]) => raw(t, x, at));
    const label = name !== undefined ? `class ${v} (${name})` : values.length > 1 ? `[${values.join(', ')}]` : String(values[0]);
    return [`task ${t}: all ${labelled} labelled training ${perValue ? 'tokens have' : 'rows have'} the label ${label}: the task has nothing to learn and its metrics will say nothing; check the data (a filter or a join upstream?)`];
  });
}

/**
 * A metric that reads another task on the same rows (its descriptor's `reads`, e.g. frame-accuracy's
 * `intent`) has nothing to judge with task-specific sources (data.tasks): no row carries both tasks'
 * labels, so it would print NaN every epoch.
 */
function crossTaskMetricWarnings(r: ResolvedSpec): string[] {
  const data = r.data as { type?: string; tasks?: Record<string, unknown> };
  if (data.type !== 'files' || !data.tasks) return [];
  return Object.entries(r.tasks).flatMap(([task, t]) =>
    t.metrics.flatMap((m, i) => {
      const d = metrics.get(m.type);
      return d.reads(m).map((read) => `tasks.${task}.metrics[${i}]: ${d.type} reads task "${read.task}" on the same rows, but with task-specific sources (data.tasks) no row carries both labels, so it will be NaN; give both tasks one source (data.train with targets for both)`);
    }),
  );
}

/**
 * A target whose field an input reads too (MPAA rating as an embedding and as the task): the model is
 * given the label, and the task's metrics measure a copy (movies: accuracy 0.91 after 5 epochs) with
 * nothing else amiss. A warning, as a task meant to reconstruct its input reads it on purpose.
 */
function labelAsInputWarnings(r: ResolvedSpec): string[] {
  if ((r.data as { type?: string }).type !== 'files') return [];
  return fieldsReadByInputAndTarget(r.data as Record<string, unknown>).map(
    ({ task, at, field, input }) =>
      `${at} reads "${field}", which input "${input}" (data.inputs.${input}) reads too: the model is given the label it predicts, so ${task}'s metrics measure a copy, not a prediction; drop "${field}" from the input (unless ${task} is meant to reconstruct it)`,
  );
}

/** Output activations whose values cannot cover z-scores (about half of them are negative). */
const BOUNDED: Record<string, string> = { relu: '≥ 0', relu6: 'in [0, 6]', softplus: '> 0', exponential: '> 0', sigmoid: 'in (0, 1)', hardSigmoid: 'in [0, 1]', tanh: 'in (−1, 1)' };

/**
 * A z-scored regression target (normalize: true) under a head whose last activation cannot take its
 * values: relu, a Keras habit on every dense layer, cannot predict any film rated below the mean (movies
 * IMDB rating: test R² 0.35 instead of 0.64), and nothing else says why.
 */
function boundedHeadWarnings(r: ResolvedSpec): string[] {
  const data = r.data as { type?: string; targets?: Record<string, { normalize?: boolean }>; tasks?: Record<string, { target?: { normalize?: boolean } }> };
  if (data.type !== 'files') return [];
  return Object.entries(r.tasks).flatMap(([t, task]) => {
    const target = data.targets?.[t] ?? data.tasks?.[t]?.target;
    const last = task.head[task.head.length - 1] as Record<string, { activation?: string }> | undefined;
    const act = last ? Object.values(last)[0]?.activation : undefined;
    if (task.type !== 'regression' || !target?.normalize || !act || !BOUNDED[act]) return [];
    return [`tasks.${t}.head[${task.head.length - 1}]: the head ends with activation "${act}", whose outputs are ${BOUNDED[act]}, but ${t}'s target is z-scored (normalize: true): negative for every value below the training mean; end the head with a dense layer without activation (linear)`];
  });
}

/** The spec's weighting section and each stage's own, with where they are. */
function weightingSections(r: ResolvedSpec): Array<{ w: ResolvedSpec['weighting']; at: string }> {
  return [{ w: r.weighting, at: 'weighting' }, ...(r.stages ?? []).flatMap((st, i) => (st.weighting ? [{ w: st.weighting as ResolvedSpec['weighting'], at: `stages[${i}].weighting` }] : []))];
}

/** What a weighting section's method needs, from a throwaway instance (unknown options are errors here too). */
function capabilities(r: ResolvedSpec, w: { method: string }, at = 'weighting'): { gradient: boolean; lookahead: boolean } {
  const names = Object.keys(r.tasks);
  let s;
  try {
    s = strategies.get(w.method).create(w, { taskNames: names, taskWeights: names.map((t) => r.tasks[t].weight), seed: r.seed });
  } catch (e) {
    // A method names its options under `weighting`; a stage's section is elsewhere.
    if (e instanceof MtlError && e.kind === 'config') throw configError(e.problems.map((p) => ({ ...p, where: { ...p.where, path: p.where.path?.replace(/^weighting(?=\.|$)/, at) } })));
    throw e;
  }
  const out = { gradient: s.needs === 'task-gradients', lookahead: s.needs === 'losses' && s.lookahead !== undefined };
  s.dispose();
  return out;
}

/**
 * A method that learns its weights on validation batches (auto-lambda), in the spec's weighting or a
 * stage's: train.validation none is an error (there is nothing to learn from), test a warning (the test
 * split stops being held out); updateEvery > 1 is an error (its own `every` sets how often λ is learnt).
 */
function validationChecks(r: ResolvedSpec, problems: Problem[], warnings: string[]): void {
  const lookahead = weightingSections(r).filter(({ w, at }) => capabilities(r, w, at).lookahead);
  for (const { w, at } of lookahead) {
    const every = weightingOptions(w).updateEvery;
    if (every > 1) {
      problems.push({
        where: { path: `${at}.updateEvery` },
        message: `weighting method "${w.method}" learns λ by a look-ahead that assumes the step uses the λ it just learnt (arXiv:2202.03091 eq. 2–3); updateEvery ${every} would make the steps in between use stale weights and saves nothing for a loss-based method`,
        received: every,
        allowed: `1 (to update λ less often, set ${at}.every: ${every})`,
      });
    }
  }
  const found = lookahead[0];
  if (!found) return;
  const what = `weighting method "${found.w.method}"${found.at === 'weighting' ? '' : ` (${found.at})`}`;
  if (r.train.validation === 'none') {
    problems.push({ where: { path: 'train.validation' }, message: `${what} learns its task weights on validation batches, but train.validation is "none"`, received: 'none', allowed: 'a fraction of the training set (e.g. 0.1), or "test"' });
  } else if (r.train.validation === 'test') {
    warnings.push(`train.validation "test": ${what} learns its task weights on the test split, so test metrics are no longer held out; prefer a fraction of the training set`);
  }
}
