// Owns the `macro-f1` metric: F1 per class, averaged over the classes that occur (a gold `<other>` of
// unseen: other is never a true positive, as accuracy counts it wrong).
import { metric, type MetricDescriptor } from './types';
import { argmaxRow, isPositive, otherIndex, thresholdOptions } from './common';

/**
 * Mean of 2TP / (2TP + FP + FN) over the classes that occur in the targets or the predictions. A row
 * whose gold class is `other` (≥ 0) is a false negative of that class even when predicted as it.
 */
export function macroF1(truth: ArrayLike<number>, pred: ArrayLike<number>, classes: number, other = -1): number {
  const tp = new Float64Array(classes);
  const fp = new Float64Array(classes);
  const fn = new Float64Array(classes);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = pred[i];
    if (t === p && t !== other) tp[t]++;
    else if (t === p) fn[t]++;
    else {
      fp[p]++;
      if (t >= 0 && t < classes) fn[t]++;
    }
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) {
    const d = 2 * tp[c] + fp[c] + fn[c];
    if (d === 0) continue;
    sum += (2 * tp[c]) / d;
    present++;
  }
  return present ? sum / present : NaN;
}

export const macroF1Metric: MetricDescriptor = metric({
  type: 'macro-f1',
  description: 'F1 of each class averaged over the classes present in targets or predictions (binary: over classes 0 and 1)',
  taskTypes: ['classification', 'binary'],
  higherIsBetter: true,
  options: thresholdOptions,
  key: () => 'macro-f1',
  create(c, ctx) {
    const threshold = c.threshold;
    if (ctx.taskType === 'classification') {
      return ({ yTrue, yPred, n, predDim }) => {
        const pred = new Int32Array(n);
        for (let i = 0; i < n; i++) pred[i] = argmaxRow(yPred, i, predDim);
        return macroF1(yTrue, pred, predDim, otherIndex(ctx.classNames));
      };
    }
    return ({ yTrue, yPred, n, predDim }) => {
      const total = n * predDim;
      const truth = new Int32Array(total);
      const pred = new Int32Array(total);
      for (let k = 0; k < total; k++) {
        truth[k] = isPositive(yTrue[k]) ? 1 : 0;
        pred[k] = yPred[k] > threshold ? 1 : 0;
      }
      return macroF1(truth, pred, 2);
    };
  },
});
