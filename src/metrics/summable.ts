// Owns metrics that sum: the statistics of any batches add up, and the value is a function of the
// sums, so evaluation can measure a per-pixel task batch by batch without keeping its predictions
// (a 36×36 segmentation head would otherwise hold 1296·C floats per row for a whole epoch).
import type { MetricFn, MetricInput } from './types';

export interface Summable {
  /** Sufficient statistics of one batch (or of everything at once). */
  stats(input: MetricInput): number[];
  /** The metric from statistics summed element-wise over batches. */
  value(sums: number[]): number;
}

/** A metric function computed through its sums (so both ways give the same number), carrying them. */
export function summable(s: Summable): MetricFn {
  return Object.assign((input: MetricInput) => s.value(s.stats(input)), { summable: s });
}

/** sums += stats, element-wise (sums grows to the longer length). */
export function addStats(sums: number[], stats: number[]): void {
  for (let i = 0; i < stats.length; i++) sums[i] = (sums[i] ?? 0) + stats[i];
}
