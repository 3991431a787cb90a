// Owns the data checks made before training: every split's columns, shapes and class labels against
// the built model (batch sources check their rows while they load).
import type { ArraySet, DataBundle } from '../data/types';
import { dataError, type Problem } from '../errors';
import type { BuiltModel } from '../model/build';
import type { ResolvedSpec } from '../spec/types';

/** Data problems found before training: shapes and label ranges against the built model. */
export function checkData(bundle: DataBundle, spec: ResolvedSpec, built: BuiltModel): void {
  const problems: Problem[] = learntTagProblems(bundle, spec, built);
  // Batch sources (the files data type) check every row against the spec while they load.
  if (bundle.sources) {
    if (problems.length) throw dataError(problems);
    return;
  }
  const splits: Array<[string, ArraySet | undefined]> = [['train', bundle.train], ['val', bundle.val], ['test', bundle.test]];
  for (const [split, set] of splits) {
    if (!set) continue;
    if (set.size === 0) problems.push({ where: { path: `data.${split}` }, message: `the ${split} split is empty` });
    for (const [name, input] of Object.entries(spec.inputs)) {
      const col = set.inputs[name];
      if (!col) problems.push({ where: { path: `data.${split}` }, message: `no column for input "${name}"` });
      else if (col.shape.join(',') !== input.shape.join(',')) problems.push({ where: { path: `data.${split}` }, message: `input "${name}" rows have shape [${col.shape}]`, allowed: `[${input.shape}] (inputs.${name}.shape)` });
    }
    built.taskNames.forEach((t, i) => {
      const col = set.targets[t];
      if (!col) {
        problems.push({ where: { path: `data.${split}` }, message: `no target column for task "${t}"` });
        return;
      }
      const out = built.model.outputs[i].shape;
      if (out.length >= 4 && !pixelTargetFits(col.shape, out, spec.tasks[t].type)) {
        problems.push({ where: { path: `data.${split}` }, message: `the per-pixel target of task "${t}" does not match its head's output`, received: `rows of shape [${col.shape}]`, allowed: `[${out.slice(1, spec.tasks[t].type === 'classification' ? -1 : undefined)}] (the head outputs ${shapeText(out)})` });
        return;
      }
      if (spec.tasks[t].type !== 'classification') return;
      const classes = out[out.length - 1] as number;
      // A token-level head (batch, steps, classes) or a per-pixel one reads `per` labels a row, masked per row or per label.
      const per = out.length >= 3 ? col.data.length / Math.max(set.size, 1) : 1;
      const perTokenMask = col.mask !== undefined && col.mask.length !== set.size;
      for (let k = 0; k < set.size * per; k++) {
        const v = col.data[k];
        const r = Math.floor(k / per);
        if ((!col.mask || col.mask[perTokenMask ? k : r]) && (v < 0 || v >= classes || !Number.isInteger(v))) {
          problems.push({ where: { path: `data.${split}`, row: r + 1 }, message: `label ${v} of task "${t}" is not a class index`, allowed: `0..${classes - 1} (the head has ${classes} units)` });
          break;
        }
      }
    });
  }
  if (problems.length) throw dataError(problems);
}

const shapeText = (s: Array<number | null>) => `(${s.map((d) => d ?? 'batch').join(', ')})`;

/** A per-pixel head (batch, h, w, units) reads a class index per pixel, or `units` values per pixel ([h, w] when units is 1). */
function pixelTargetFits(row: number[], out: Array<number | null>, type: string): boolean {
  const grid = out.slice(1, -1) as number[];
  const last = type === 'classification' ? 1 : (out[out.length - 1] as number);
  const fits = [[...grid, last], ...(last === 1 ? [grid] : [])];
  return fits.some((w) => w.join(',') === row.join(','));
}

/** `tags: learn` names each head class after a learnt category: the head must have exactly that many. */
function learntTagProblems(bundle: DataBundle, spec: ResolvedSpec, built: BuiltModel): Problem[] {
  const out: Problem[] = [];
  built.taskNames.forEach((t, i) => {
    const names = bundle.classNames?.[t];
    const shape = built.model.outputs[i].shape;
    const classes = shape[shape.length - 1] as number;
    spec.tasks[t].metrics.forEach((m, k) => {
      if ((m as { tags?: unknown }).tags !== 'learn' || !names || names.length === classes) return;
      out.push({ where: { path: `tasks.${t}.metrics[${k}].tags` }, message: `tags: learn found ${names.length} tags for task ${t} in the training data, but its head has ${classes} classes`, received: names.length <= 20 ? names : names.length, hint: `set classes: ${names.length} on data.targets.${t} and the head to ${names.length} units (numTags for a crf)` });
    });
  });
  return out;
}
