// Owns the records a training run produces and the reporter interface that displays them.
import type { GateStats } from '../architectures/gates';
import type { SplitMetrics } from '../eval/evaluate';
import type { EarlyStopSummary } from './callbacks';
import type { EpochDiagnostics } from '../weighting/diagnostics';

export interface EpochRecord {
  epoch: number;
  /** The stage this epoch trained in (spec.stages). */
  stage?: string;
  steps: number;
  train: SplitMetrics;
  val?: SplitMetrics;
  /** Task-specific sources (data.tasks): batches drawn from each task's source this epoch (data.sampling's realised counts). */
  taskBatches?: Record<string, number>;
  /** Effective task weights of the strategy, averaged over the epoch's steps. */
  weights: Record<string, number>;
  learningRate: number;
  /** Seconds for the epoch (training + validation). */
  wallTime: number;
  samplesPerSecond: number;
  bestEpoch: number | null;
  bestValue: number | null;
  /** With `baselines:`: Δm% of the validation metrics against them (null when no metric compares), and per task. */
  deltaM?: { value: number | null; tasks: Record<string, number> };
  /** Weighting diagnostics of the epoch (src/weighting/diagnostics.ts). */
  diagnostics?: EpochDiagnostics;
  /** Mixture architectures: each gate's statistics after the epoch (src/train/gate-diagnostics.ts). */
  gates?: Record<string, GateStats>;
  /** Lines the reporter prints as warnings after the epoch line (e.g. a collapsed gate). */
  warnings?: string[];
}

export interface RunStartInfo {
  runDir: string;
  backend: string;
  epochs: number;
  stepsPerEpoch: number;
  taskNames: string[];
  samples: { train: number; val: number; test: number };
}

export interface StepProgress {
  epoch: number;
  step: number;
  steps: number;
  samples: number;
  seconds: number;
  /** Running mean loss of each task over the epoch so far. */
  losses: Record<string, number>;
}

export interface TrainReporter {
  start(info: RunStartInfo): void;
  epochStart(epoch: number, epochs: number, steps: number): void;
  step(p: StepProgress): void;
  epochEnd(rec: EpochRecord): void;
  end(summary: { status: string; best: { epoch: number | null; value: number | null; monitor: string }; stoppedEarly?: EarlyStopSummary; test?: SplitMetrics; last: EpochRecord | undefined; runDir: string }): void;
  /** A setting that is legal but does not do what it seems to (train/preflight.ts): shown before training starts. */
  warning?(message: string): void;
}

export const silentReporter: TrainReporter = { start() {}, epochStart() {}, step() {}, epochEnd() {}, end() {} };
