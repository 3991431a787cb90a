// Owns the weighting diagnostics of a run: per-task gradient norms and pairwise cosines over the
// shared parameters (sampled every N steps), effective weights, backward passes per step and the
// strategy's own state, as step records (metrics.jsonl) and per-epoch summaries (metrics.json).
import * as tf from '@tensorflow/tfjs';
import type { SolverStatus } from './gradmath';
import type { Json, WeightingStrategy } from './strategy';

export interface StepDiagnostics {
  /** ‖g_t‖₂ of each task's gradient over the shared parameters. */
  gradNorms: number[];
  /** cos(g_i, g_j), T×T (absent when diagnostics.cosine is false). */
  cosine?: number[][];
  /** The tasks labelled in the diagnosed batch (the others' rows are zero and left out of the epoch means). */
  present?: number[];
  /** What the strategy's solver reported at this step (methods that solve something; see SolverStatus). */
  solver?: SolverStatus;
}



export interface EpochDiagnostics {
  /** Mean backward passes through the model per step (1 for loss methods, T for parameter-space gradient methods). */
  backwardPassesPerStep: number;
  /** Steps whose combination was recomputed (the rest reused the last weights: updateEvery). */
  recomputedSteps: number;
  /** Batches without any labelled task: skipped, no update (not counted as steps). */
  skippedBatches: number;
  /** Steps in which each task was labelled (present); a task absent from a step had weight 0 there. */
  presentSteps: Record<string, number>;
  /** Sampled steps the means below are over (0: none, and gradNorms/cosine are absent). */
  sampledSteps: number;
  gradNorms?: Record<string, number>;
  cosine?: number[][];
  /** The strategy's state at the end of the epoch (UW log-variances, GradNorm weights, DWA ratios, …). */
  strategy: Json;
}

/** Norms and the cosine matrix of the rows of G (T×d), as plain numbers. */
export function gradientStats(G: tf.Tensor2D, cosine: boolean, present?: number[]): StepDiagnostics {
  return tf.tidy(() => {
    const g = tf.matMul(G, G, false, true).arraySync() as number[][];
    const norms = g.map((row, i) => Math.sqrt(Math.max(row[i], 0)));
    const p = present && present.length < g.length ? { present } : {};
    if (!cosine) return { gradNorms: norms, ...p };
    const cos = g.map((row, i) => row.map((v, j) => (norms[i] > 0 && norms[j] > 0 ? Math.max(-1, Math.min(1, v / (norms[i] * norms[j]))) : 0)));
    return { gradNorms: norms, cosine: cos, ...p };
  });
}

/** A strategy's state for the record; large states (e.g. momentum vectors) are summarised. */
export function strategyRecord(s: WeightingStrategy, maxChars = 4096): Json {
  const st = s.state();
  const text = JSON.stringify(st) ?? 'null';
  return text.length <= maxChars ? st : { omitted: `state of ${text.length} characters` };
}

/** Sums a run's step diagnostics over one epoch. */
export class DiagnosticsAccumulator {
  private steps = 0;
  private passes = 0;
  private recomputed = 0;
  private sampled = 0;
  private norms: number[];
  private seen: number[];
  private cos: number[][] | null = null;
  private pairs: number[][];

  constructor(private readonly taskNames: readonly string[]) {
    const T = taskNames.length;
    this.norms = new Array<number>(T).fill(0);
    this.seen = new Array<number>(T).fill(0);
    this.pairs = Array.from({ length: T }, () => new Array<number>(T).fill(0));
  }

  private skipped = 0;
  private presentCount: number[] | null = null;

  skip(): void {
    this.skipped++;
  }

  add(backwardPasses: number, recomputed: boolean, d?: StepDiagnostics, present?: readonly number[]): void {
    this.presentCount ??= this.taskNames.map(() => 0);
    const count = this.presentCount;
    (present ?? this.taskNames.map((_, i) => i)).forEach((i) => count[i]++);
    this.steps++;
    this.passes += backwardPasses;
    if (recomputed) this.recomputed++;
    if (!d) return;
    this.sampled++;
    // Means over the sampled steps in which the task (both tasks, for a cosine) was present.
    const here = (i: number) => !d.present || d.present.includes(i);
    d.gradNorms.forEach((n, i) => {
      if (!here(i)) return;
      this.norms[i] += n;
      this.seen[i]++;
    });
    if (d.cosine) {
      const c = d.cosine;
      this.cos ??= c.map((row) => row.map(() => 0));
      c.forEach((row, i) =>
        row.forEach((v, j) => {
          if (!here(i) || !here(j)) return;
          (this.cos as number[][])[i][j] += v;
          this.pairs[i][j]++;
        }),
      );
    }
  }

  result(strategy: WeightingStrategy): EpochDiagnostics {
    const n = this.sampled;
    return {
      backwardPassesPerStep: this.steps ? this.passes / this.steps : 0,
      recomputedSteps: this.recomputed,
      skippedBatches: this.skipped,
      presentSteps: Object.fromEntries(this.taskNames.map((t, i) => [t, this.presentCount?.[i] ?? 0])),
      sampledSteps: n,
      ...(n ? { gradNorms: Object.fromEntries(this.taskNames.map((t, i) => [t, this.norms[i] / Math.max(this.seen[i], 1)])) } : {}),
      ...(n && this.cos ? { cosine: this.cos.map((row, i) => row.map((v, j) => v / Math.max(this.pairs[i][j], 1))) } : {}),
      strategy: strategyRecord(strategy),
    };
  }
}
