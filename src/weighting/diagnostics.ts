// Owns the weighting diagnostics of a run: per-task gradient norms and pairwise cosines over the
// shared parameters (sampled every N steps), effective weights, backward passes per step and the
// strategy's own state, as step records (metrics.jsonl) and per-epoch summaries (metrics.json).
import * as tf from '@tensorflow/tfjs';
import type { Json, WeightingStrategy } from './strategy';

export interface StepDiagnostics {
  /** ‖g_t‖₂ of each task's gradient over the shared parameters. */
  gradNorms: number[];
  /** cos(g_i, g_j), T×T (absent when diagnostics.cosine is false). */
  cosine?: number[][];
}

export interface EpochDiagnostics {
  /** Mean backward passes through the model per step (1 for loss methods, T for parameter-space gradient methods). */
  backwardPassesPerStep: number;
  /** Steps whose combination was recomputed (the rest reused the last weights: updateEvery). */
  recomputedSteps: number;
  /** Sampled steps the means below are over (0: none, and gradNorms/cosine are absent). */
  sampledSteps: number;
  gradNorms?: Record<string, number>;
  cosine?: number[][];
  /** The strategy's state at the end of the epoch (UW log-variances, GradNorm weights, DWA ratios, …). */
  strategy: Json;
}

/** Norms and the cosine matrix of the rows of G (T×d), as plain numbers. */
export function gradientStats(G: tf.Tensor2D, cosine: boolean): StepDiagnostics {
  return tf.tidy(() => {
    const g = tf.matMul(G, G, false, true).arraySync() as number[][];
    const norms = g.map((row, i) => Math.sqrt(Math.max(row[i], 0)));
    if (!cosine) return { gradNorms: norms };
    const cos = g.map((row, i) => row.map((v, j) => (norms[i] > 0 && norms[j] > 0 ? Math.max(-1, Math.min(1, v / (norms[i] * norms[j]))) : 0)));
    return { gradNorms: norms, cosine: cos };
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
  private cos: number[][] | null = null;

  constructor(private readonly taskNames: readonly string[]) {
    this.norms = new Array<number>(taskNames.length).fill(0);
  }

  add(backwardPasses: number, recomputed: boolean, d?: StepDiagnostics): void {
    this.steps++;
    this.passes += backwardPasses;
    if (recomputed) this.recomputed++;
    if (!d) return;
    this.sampled++;
    d.gradNorms.forEach((n, i) => (this.norms[i] += n));
    if (d.cosine) {
      const c = d.cosine;
      this.cos = this.cos ? this.cos.map((row, i) => row.map((v, j) => v + c[i][j])) : c.map((row) => [...row]);
    }
  }

  result(strategy: WeightingStrategy): EpochDiagnostics {
    const n = this.sampled;
    return {
      backwardPassesPerStep: this.steps ? this.passes / this.steps : 0,
      recomputedSteps: this.recomputed,
      sampledSteps: n,
      ...(n ? { gradNorms: Object.fromEntries(this.taskNames.map((t, i) => [t, this.norms[i] / n])) } : {}),
      ...(n && this.cos ? { cosine: this.cos.map((row) => row.map((v) => v / n)) } : {}),
      strategy: strategyRecord(strategy),
    };
  }
}
