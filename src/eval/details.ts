// Owns the detailed evaluation of one task as sufficient statistics, added row by row so a streamed
// split needs no stored predictions: a confusion matrix with per-class precision, recall and F1 for
// classification (binary and multilabel: one 2×2 matrix per output at a 0.5 threshold), and residual
// statistics (bias, MAE, RMSE, residual std, largest |residual|) per output column for regression,
// and per-entity-type precision, recall and F1 for BIO tagging (CoNLL rules, src/metrics/bio.ts), whose
// micro totals are the entity-precision/recall/f1 metrics.
import { f1Of, precisionOf, recallOf, sentenceChunks, type ChunkCounts } from '../metrics/bio';

export interface ClassStats {
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true class is this one. */
  support: number;
}

export interface ClassificationDetails {
  kind: 'classification';
  /** confusion[true][predicted] = rows. */
  confusion: number[][];
  perClass: ClassStats[];
  macro: { precision: number; recall: number; f1: number };
  rows: number;
  /** Class names by index, where the run learnt them (a hole where no row named that class). */
  names?: string[];
}

export interface ResidualStats {
  /** mean(prediction − target) */
  bias: number;
  mae: number;
  rmse: number;
  /** Sample standard deviation of the residuals (n − 1). */
  residualStd: number;
  maxAbs: number;
}

export interface RegressionDetails {
  kind: 'regression';
  columns: ResidualStats[];
  rows: number;
}

export interface EntityStats extends ChunkCounts {
  precision: number;
  recall: number;
  f1: number;
}

export interface EntityDetails {
  kind: 'entities';
  /** By entity type, in name order. */
  perType: Record<string, EntityStats>;
  /** Totals over every type: the entity-precision, entity-recall and entity-f1 metrics. */
  micro: EntityStats;
  /** Unweighted mean over the types. */
  macro: { precision: number; recall: number; f1: number };
  sentences: number;
}

export type TaskDetails = ClassificationDetails | RegressionDetails | EntityDetails | { kind: 'outputs'; outputs: ClassificationDetails[] };

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/**
 * Per-class precision, recall, F1 and support of a confusion matrix (rows true, columns predicted); 0
 * where undefined. The macro means are over the classes that occur in the targets or the predictions.
 */
export function classStats(confusion: number[][]): { perClass: ClassStats[]; macro: ClassificationDetails['macro'] } {
  const perClass = confusion.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[c], 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  // Over the classes that occur in the targets or the predictions, as the macro-f1 metric (and
  // scikit-learn) average: a class of the head that no row has or gets would pull every mean down.
  const occurs = perClass.map((st, c) => st.support > 0 || confusion.some((r) => r[c] > 0));
  const n = occurs.filter(Boolean).length;
  const mean = (f: (s: ClassStats) => number) => perClass.reduce((a, s, c) => a + (occurs[c] ? f(s) : 0), 0) / Math.max(n, 1);
  return { perClass, macro: { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) } };
}

/** Counts (true, predicted) class pairs; the matrix grows to the largest class index seen (at least `classes`). */
export class ConfusionCounter {
  counts: number[][] = [];
  rows = 0;
  private names: string[] = [];

  /** `names`: every class's name where the run knows them (learnt or listed), so that a class no row names is named too. */
  constructor(classes = 0, names?: readonly string[]) {
    this.grow(Math.max(classes, names?.length ?? 0));
    if (names) this.names = [...names];
  }

  private grow(k: number): void {
    if (k <= this.counts.length) return;
    this.counts = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => this.counts[i]?.[j] ?? 0));
  }

  /** One row; the names, when known, label the classes in the result. */
  add(truth: number, predicted: number, truthName?: string | null, predictedName?: string | null): void {
    if (!(truth >= 0 && predicted >= 0)) return;
    if (truthName) this.names[truth] = truthName;
    if (predictedName) this.names[predicted] = predictedName;
    this.grow(Math.max(truth, predicted) + 1);
    this.counts[truth][predicted]++;
    this.rows++;
  }

  result(): ClassificationDetails {
    const names = this.names.length ? { names: Array.from({ length: this.counts.length }, (_, c) => this.names[c] ?? '') } : {};
    return { kind: 'classification', confusion: this.counts.map((r) => [...r]), ...classStats(this.counts), rows: this.rows, ...names };
  }
}

/** Running sums of the residuals of each output column. */
export class ResidualCounter {
  private n = 0;
  private sum: number[] = [];
  private abs: number[] = [];
  private sq: number[] = [];
  private max: number[] = [];

  add(prediction: number[], target: number[]): void {
    if (this.n === 0) [this.sum, this.abs, this.sq, this.max] = [0, 0, 0, 0].map(() => new Array<number>(prediction.length).fill(0));
    this.n++;
    prediction.forEach((p, j) => {
      const r = p - target[j];
      this.sum[j] += r;
      this.abs[j] += Math.abs(r);
      this.sq[j] += r * r;
      this.max[j] = Math.max(this.max[j], Math.abs(r));
    });
  }

  result(): RegressionDetails {
    const n = this.n;
    const columns = this.sum.map((s, j) => {
      const bias = s / n;
      return {
        bias,
        mae: this.abs[j] / n,
        rmse: Math.sqrt(this.sq[j] / n),
        residualStd: n > 1 ? Math.sqrt(Math.max(0, this.sq[j] - n * bias * bias) / (n - 1)) : 0,
        maxAbs: this.max[j],
      };
    });
    return { kind: 'regression', columns, rows: n };
  }
}

const entityStats = (c: ChunkCounts): EntityStats => ({ ...c, precision: precisionOf(c), recall: recallOf(c), f1: f1Of(c) });

/** Entity counts per type, added one sentence (gold and predicted tag names over its real tokens) at a time. */
export class EntityCounter {
  private types = new Map<string, ChunkCounts>();
  sentences = 0;

  add(gold: readonly string[], pred: readonly string[]): void {
    const s = sentenceChunks(gold, pred);
    const of = (type: string) => {
      if (!this.types.has(type)) this.types.set(type, { correct: 0, predicted: 0, gold: 0 });
      return this.types.get(type)!;
    };
    for (const c of s.gold) of(c.type).gold++;
    for (const c of s.pred) of(c.type).predicted++;
    for (const c of s.correct) of(c.type).correct++;
    this.sentences++;
  }

  result(): EntityDetails {
    const names = [...this.types.keys()].sort();
    const total = { correct: 0, predicted: 0, gold: 0 };
    for (const c of this.types.values()) (['correct', 'predicted', 'gold'] as const).forEach((k) => (total[k] += c[k]));
    const perType = Object.fromEntries(names.map((n) => [n, entityStats(this.types.get(n)!)]));
    const mean = (f: (s: EntityStats) => number) => names.reduce((a, n) => a + f(perType[n]), 0) / Math.max(names.length, 1);
    return { kind: 'entities', perType, micro: entityStats(total), macro: { precision: mean((x) => x.precision), recall: mean((x) => x.recall), f1: mean((x) => x.f1) }, sentences: this.sentences };
  }
}
