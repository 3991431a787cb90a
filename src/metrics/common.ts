// Owns what the metric descriptors share: schema fragments and small array helpers.
import { OTHER_LABEL } from '../data/files/category-encoder';
import { num, opts } from '../util/options';

/** The option of metrics that threshold probabilities (binary/multilabel). */
export const thresholdOption = num({
  minimum: 0,
  maximum: 1,
  default: 0.5,
  description: 'binary/multilabel: a probability above this counts as a positive prediction',
});

/** The options of metrics that threshold probabilities (binary/multilabel). */
export const thresholdOptions = opts({ threshold: thresholdOption });

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

/**
 * The class index of `unseen: other`'s extra class (`<other>`, last in the learnt names), or -1. A
 * gold label of that class stands for a label no training row taught, so metrics count it as wrong
 * whatever the prediction (docs/data.md, "Labels the training data does not have").
 */
export function otherIndex(classNames: readonly string[] | undefined): number {
  return classNames ? classNames.indexOf(OTHER_LABEL) : -1;
}
