// Owns what the metric descriptors share: schema fragments and small array helpers.
import type { JSONSchema } from '../registry';

export const thresholdSchema: JSONSchema = {
  type: 'number',
  minimum: 0,
  maximum: 1,
  default: 0.5,
  description: 'binary/multilabel: a probability above this counts as a positive prediction',
};

export const noOptions: JSONSchema = { type: 'object', additionalProperties: false, properties: {} };

export const thresholdOf = (c: Record<string, unknown>): number => (typeof c.threshold === 'number' ? c.threshold : 0.5);

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
