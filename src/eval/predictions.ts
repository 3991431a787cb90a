// Owns turning one task's decoded head output for a batch (plain numbers) into per-row predictions as
// `mtl predict` writes them: class index, name and top-k probabilities; token tags and their entity
// spans (BIO or BIOES tags, the CoNLL chunk rules of the entity metrics, src/metrics/bio.ts); regression values in the target's units (a z-scored
// target is denormalised with the training statistics); probabilities of binary/multilabel outputs, and
// the 0/1 each is predicted at the task's accuracy threshold.
import { OTHER_LABEL } from '../data/files/category-encoder';
import { chunks } from '../metrics/bio';
import type { TaskType } from '../tasks';

/** What the run learnt about a task's labels, for naming and scaling its predictions. */
export interface TaskDecoding {
  /** Class (or tag) names by index. */
  names?: string[];
  /** A regression target z-scored in training: value = output · std + mean, per output column. */
  scale?: { mean: number[]; std: number[] };
  /** Binary/multilabel: a probability above this is predicted 1 (the task's accuracy threshold; 0.5). */
  threshold?: number;
}

export interface TopClass {
  class: number;
  name?: string;
  probability: number;
}

/** A decoded entity: tokens start..end−1 (end exclusive) of type `type`; text = those words joined by spaces. */
export interface Entity {
  type: string;
  start: number;
  end: number;
  text?: string;
}

/** One task's prediction for one row. `label` (and its name) only when the row has one; null when masked. */
export type TaskPrediction =
  | { class: number; name?: string; probability: number; top: TopClass[]; label?: number | null; labelName?: string | null }
  | { classes: number[]; tags?: string[]; entities?: Entity[]; label?: number[] | null; labelTags?: string[] }
  | { probabilities: number[]; predicted: number[]; label?: number[] | null }
  | { value: number[]; label?: number[] | null }
  /** A per-pixel task: the PNG written for the row (src/train/predict-masks.ts); label: the gold one's (null: unlabelled). */
  | { mask: string; label?: string | null };

/** A batch of one task: values row-major with shape [rows, ...]; labels with their mask (per row or per element). */
export interface TaskBatch {
  type: TaskType;
  values: ArrayLike<number>;
  shape: number[];
  labels?: { values: ArrayLike<number>; mask?: ArrayLike<number> };
  /** Token-level outputs ([rows, steps, classes]): real tokens per row (the rest is padding). */
  lengths?: ArrayLike<number>;
  /** Per row, the words of the input (entity text). */
  words?: Array<string[] | undefined>;
}

/**
 * How a task's output is read: one class per row, one class per token (rank 3 with `lengths`), one
 * class per position (other ranks above 2: e.g. per-pixel heads; a writer of mask images hooks in on
 * this kind), values (regression), or independent probabilities (binary, multilabel).
 */
export type OutputKind = 'class' | 'tokens' | 'positions' | 'values' | 'probabilities';

export function kindOf(b: Pick<TaskBatch, 'type' | 'shape' | 'lengths'>): OutputKind {
  if (b.type === 'classification') return b.shape.length === 2 ? 'class' : b.shape.length === 3 && b.lengths ? 'tokens' : 'positions';
  return b.type === 'regression' ? 'values' : 'probabilities';
}

/** Tags the chunker reads: O, B-/I-/E-/S-<type>, and `<other>` (unseen: other; a one-token entity of its own kind). */
const TAG = /^(O|[BIES]-.+)$/;

/** The k most probable classes of one distribution, most probable first (ties: lower index first). */
export function topK(p: ArrayLike<number>, k: number, names?: string[]): TopClass[] {
  return Array.from(p, (probability, c) => ({ class: c, ...(names?.[c] !== undefined ? { name: names[c] } : {}), probability }))
    .sort((a, b) => b.probability - a.probability || a.class - b.class)
    .slice(0, k);
}

function argmax(v: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (v[from + c] > v[from + best]) best = c;
  return best;
}

/** Entity spans of a tag-name sequence (BIO or BIOES tags, as the entity metrics read them; otherwise none). */
export function entitiesOf(tags: string[], words?: string[]): Entity[] | undefined {
  if (!tags.every((t) => TAG.test(t) || t === OTHER_LABEL)) return undefined;
  return chunks(tags).map((c) => ({ type: c.type, start: c.start, end: c.end + 1, ...(words ? { text: words.slice(c.start, c.end + 1).join(' ') } : {}) }));
}

/** Per-row predictions of one task; `k`: classes listed per classification row. */
export function decodeTask(b: TaskBatch, d: TaskDecoding, k: number): TaskPrediction[] {
  const n = b.shape[0];
  const width = n ? b.values.length / n : 0;
  const lwidth = b.labels && n ? b.labels.values.length / n : 0;
  const kind = kindOf(b);
  const rowMasked = (i: number) => b.labels?.mask !== undefined && b.labels.mask.length === n && b.labels.mask[i] === 0;
  const labelRow = (i: number) => Array.prototype.slice.call(b.labels!.values, i * lwidth, (i + 1) * lwidth) as number[];
  const out: TaskPrediction[] = [];
  for (let i = 0; i < n; i++) {
    const v = Array.prototype.slice.call(b.values, i * width, (i + 1) * width) as number[];
    if (kind === 'class') {
      const top = topK(v, k, d.names);
      const p: Extract<TaskPrediction, { class: number }> = { class: top[0].class, ...(top[0].name !== undefined ? { name: top[0].name } : {}), probability: top[0].probability, top };
      if (b.labels) {
        const l = rowMasked(i) ? null : b.labels.values[i];
        p.label = l;
        if (d.names && l !== null) p.labelName = d.names[l] ?? null;
      }
      out.push(p);
    } else if (kind === 'tokens' || kind === 'positions') out.push(tokenRow(b, d, i, v));
    else {
      const scale = kind === 'values' ? d.scale : undefined;
      // Regression values rounded to float32's 7 significant digits: the label 422, z-scored in float32,
      // comes back as 422, and an unscaled label 7.1 (float32 7.099999904…) as 7.1.
      const unscale = (xs: number[]) => (kind !== 'values' ? xs : xs.map((x, j) => Number((scale ? x * scale.std[j] + scale.mean[j] : x).toPrecision(7))));
      const label = b.labels ? (rowMasked(i) ? null : unscale(labelRow(i))) : undefined;
      // A probability above the threshold is a 1, as the accuracy metric counts it.
      const threshold = d.threshold ?? 0.5;
      out.push(kind === 'values' ? { value: unscale(v), ...(label !== undefined ? { label } : {}) } : { probabilities: v, predicted: v.map((x) => (x > threshold ? 1 : 0)), ...(label !== undefined ? { label } : {}) });
    }
  }
  return out;
}

/** One row of a token-level (or per-position) output: classes, and with names their tags and entity spans. */
function tokenRow(b: TaskBatch, d: TaskDecoding, i: number, v: number[]): TaskPrediction {
  const c = b.shape[b.shape.length - 1];
  const steps = v.length / c;
  const len = b.lengths ? Math.min(b.lengths[i], steps) : steps;
  const classes = Array.from({ length: len }, (_, s) => argmax(v, s * c, c));
  const p: Extract<TaskPrediction, { classes: number[] }> = { classes };
  if (d.names) {
    p.tags = classes.map((x) => d.names![x] ?? String(x));
    const ents = kindOf(b) === 'tokens' ? entitiesOf(p.tags, b.words?.[i]) : undefined;
    if (ents) p.entities = ents;
  }
  if (b.labels) {
    const per = b.labels.values.length / b.shape[0];
    const mask = b.labels.mask;
    const tokenMask = mask && mask.length !== b.shape[0];
    const labelled = mask === undefined || (tokenMask ? Array.from({ length: per }, (_, s) => mask[i * per + s]).some((m) => m === 1) : mask[i] === 1);
    p.label = labelled ? Array.from({ length: len }, (_, s) => b.labels!.values[i * per + s]) : null;
    if (labelled && d.names) p.labelTags = p.label!.map((x) => d.names![x] ?? String(x));
  }
  return p;
}
