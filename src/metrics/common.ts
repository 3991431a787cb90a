// Owns what the metric descriptors share: schema fragments and small array helpers.
import { num, opts } from '../util/options';

/** The options of metrics that threshold probabilities (binary/multilabel). */
export const thresholdOptions = opts({
  threshold: num({
    minimum: 0,
    maximum: 1,
    default: 0.5,
    description: 'binary/multilabel: a probability above this counts as a positive prediction',
  }),
});

/** Index of the largest value of row i (the first one on ties). */
export function argmaxRow(a: Float32Array, i: number, width: number): number {
  let best = 0;
  let bestV = -Infinity;
  for (let j = 0; j < width; j++) {
    const v = a[i * width + j];
    if (v > bestV) {
      bestV = v;
      best = j;
    }
  }
  return best;
}

/** 0/1 targets are stored as floats; anything from 0.5 up is the positive class. */
export const isPositive = (v: number): boolean => v >= 0.5;
