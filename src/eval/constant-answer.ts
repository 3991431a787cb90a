// Owns the figure a classifier's accuracy has to beat: the share of a split's labelled rows that carry
// its most frequent label, which answering that label for every row scores without looking at the input.
// A run whose accuracy does not beat it (flights' "delayed": 0.786 when 78.6% of the flights are on time)
// has learnt nothing a threshold of 0.5 shows, however good the number reads.
import { OTHER_LABEL } from '../data/files/category-encoder';

export interface ConstantAnswer {
  /** The most frequent label of the split (class index; 0 or 1 for a binary task); ties: the lowest. */
  label: number;
  /** Its class name, when the data has names. */
  name?: string;
  /** Accuracy of answering `label` for every labelled row: its share of them. */
  accuracy: number;
  /** The task's accuracy, which is no higher. */
  modelAccuracy: number;
  /** The labelled rows (tokens, pixels) both are over. */
  rows: number;
}

/**
 * The constant answer of one task's labelled rows, when its accuracy is no better; else undefined.
 * `yTrue`: one label per row (class index or 0/1), or one-hot rows of `width` values.
 */
export function noBetterThanConstant(yTrue: ArrayLike<number>, n: number, width: number, accuracy: number, names?: string[]): ConstantAnswer | undefined {
  if (!n || !Number.isFinite(accuracy)) return undefined;
  const per = yTrue.length / n;
  if (per !== 1 && per !== width) return undefined; // several binary outputs per row: no single answer
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    let label = per > 1 ? 0 : Math.round(yTrue[i]);
    if (per > 1) for (let c = 1; c < per; c++) if (yTrue[i * per + c] > yTrue[i * per + label]) label = c;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  let best = -1;
  let most = 0;
  // unseen: other's extra class is never an answer that scores: accuracy counts a gold <other> as wrong.
  const other = names ? names.indexOf(OTHER_LABEL) : -1;
  for (const [label, k] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (k > most && label !== other) [best, most] = [label, k];
  }
  if (best < 0) return undefined;
  const share = most / n;
  // A margin of one row in a million keeps float noise in the metric from hiding an equal score.
  if (accuracy > share + 1e-6) return undefined;
  return { label: best, ...(names?.[best] ? { name: names[best] } : {}), accuracy: share, modelAccuracy: accuracy, rows: n };
}
