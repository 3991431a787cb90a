// Owns reading per-token predictions as tag sequences and the CoNLL chunk rules for BIO tags shared
// by token-accuracy and the entity-level metrics (conlleval, CoNLL-2000 shared task: Tjong Kim Sang
// & Buchholz 2000), for BIO and BIOES tags: a chunk starts at B-X or S-X, or at I-X/E-X not continuing
// an open X chunk; it ends at E-X or S-X, before O, or where another chunk starts; an entity counts as
// correct only when its type and both boundaries match a gold entity. The `<other>` class of
// `unseen: other` is not a BIO tag: each such token is a one-token entity of its own kind that never
// counts as correct (gold: a missed entity; predicted: a wrong one), and it ends an open entity.
import { OTHER_LABEL } from '../data/files/category-encoder';
import { custom, opts } from '../util/options';
import type { MetricContext, MetricInput } from './types';
import { argmaxRow } from './common';

/** The options of the entity-level metrics. */
export const tagsOptions = opts({
  tags: custom<string[] | 'learn'>()({
    required: true,
    anyOf: [{ type: 'array', minItems: 2, items: { type: 'string', pattern: '^(O|[BIES]-.+)$' } }, { type: 'string', enum: ['learn'] }],
    description: 'Tag names in class-index order, BIO or BIOES style (e.g. [O, B-LOC, I-LOC] or [O, B-LOC, I-LOC, E-LOC, S-LOC]); learn: the categories the `files` data learnt for this task (categories: learn)',
  }),
});

/** The tag list of an entity metric: the list, or with `tags: learn` the class names the data learnt for the task. */
export function tagList(tags: string[] | 'learn', ctx: MetricContext): string[] {
  if (Array.isArray(tags)) return tags;
  if (!ctx.classNames) throw new Error('entity metric: tags: learn, but the data learnt no class names for this task');
  return ctx.classNames;
}

/**
 * Gold and predicted tag indices per sentence. Token rows (predDim = classes): sentences begin where
 * sequenceStarts is 1 (all tokens form one sentence without it). Rows of `steps` tokens (yTrue
 * [n·steps]): one sentence per row, negative gold tags are padding.
 */
export function tagSequences(input: MetricInput): Array<{ gold: number[]; pred: number[] }> {
  const { yTrue, yPred, n, sequenceStarts } = input;
  const steps = n ? yTrue.length / n : 0;
  const classes = steps ? input.predDim / steps : 0;
  if (!Number.isInteger(steps) || !Number.isInteger(classes) || classes < 1) {
    throw new Error(`per-token metric: predictions of width ${input.predDim} do not split into ${steps} tokens`);
  }
  const out: Array<{ gold: number[]; pred: number[] }> = [];
  let cur: { gold: number[]; pred: number[] } | undefined;
  for (let k = 0; k < n * steps; k++) {
    const begins = steps === 1 ? !cur || (sequenceStarts !== undefined && sequenceStarts[k] === 1) : k % steps === 0;
    if (begins) out.push((cur = { gold: [], pred: [] }));
    if (yTrue[k] < 0) continue;
    cur!.gold.push(yTrue[k]);
    cur!.pred.push(argmaxRow(yPred, k, classes));
  }
  return out;
}

export interface Chunk {
  start: number;
  end: number;
  type: string;
}

/** Chunks of one tag-name sequence, conlleval's start/end rules for IOB and IOBES tags. */
export function chunks(tags: readonly string[]): Chunk[] {
  const out: Chunk[] = [];
  let open: Chunk | null = null;
  tags.forEach((tag, i) => {
    const other = tag === OTHER_LABEL;
    const prefix = tag === 'O' ? 'O' : other ? 'S' : tag.slice(0, 1);
    const type = tag === 'O' ? '' : other ? OTHER_LABEL : tag.slice(2);
    const continues = open !== null && (prefix === 'I' || prefix === 'E') && open.type === type;
    if (open && !continues) {
      out.push(open);
      open = null;
    }
    if (prefix === 'O') return;
    if (open) (open as Chunk).end = i;
    else open = { start: i, end: i, type };
    // E-X and S-X close their chunk (an I-X after them starts a new one).
    if (prefix === 'E' || prefix === 'S') {
      out.push(open as Chunk);
      open = null;
    }
  });
  if (open) out.push(open);
  return out;
}

export interface ChunkCounts {
  correct: number;
  predicted: number;
  gold: number;
}

/** One sentence's gold and predicted chunks, and the predicted ones that match a gold chunk exactly. */
export function sentenceChunks(gold: readonly string[], pred: readonly string[]): { gold: Chunk[]; pred: Chunk[]; correct: Chunk[] } {
  const g = chunks(gold);
  const p = chunks(pred);
  const key = (c: Chunk) => `${c.start}:${c.end}:${c.type}`;
  const goldKeys = new Set(g.map(key));
  return { gold: g, pred: p, correct: p.filter((c) => c.type !== OTHER_LABEL && goldKeys.has(key(c))) };
}

/** Counts over every row: predicted chunks, gold chunks and exact matches (type and boundaries). */
export function chunkCounts(input: MetricInput, tagNames: readonly string[]): ChunkCounts {
  const counts = { correct: 0, predicted: 0, gold: 0 };
  const name = (k: number) => {
    const tag = tagNames[k];
    if (tag === undefined) throw new Error(`tag index ${k} has no name: the metric's tags list has ${tagNames.length} entries`);
    return tag;
  };
  for (const { gold, pred } of tagSequences(input)) {
    const s = sentenceChunks(gold.map(name), pred.map(name));
    counts.gold += s.gold.length;
    counts.predicted += s.pred.length;
    counts.correct += s.correct.length;
  }
  return counts;
}

export const precisionOf = (c: ChunkCounts) => (c.predicted ? c.correct / c.predicted : 0);
export const recallOf = (c: ChunkCounts) => (c.gold ? c.correct / c.gold : 0);
export function f1Of(c: ChunkCounts): number {
  const p = precisionOf(c);
  const r = recallOf(c);
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}
