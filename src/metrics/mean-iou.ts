// Owns the `mean-iou` metric: the mean over classes of intersection over union, TP / (TP + FP + FN),
// counted over every labelled row — for per-pixel (and per-token) targets, every labelled pixel.
import { opts } from '../util/options';
import { argmaxRow } from './common';
import { metric, type MetricDescriptor } from './types';

/**
 * Mean IoU of predicted classes against gold classes over `classes` classes. A class that is absent
 * from both gold and prediction (union 0) has no IoU and is left out of the mean, so a batch without
 * any "right item" pixels is not rewarded with IoU 1 nor punished with 0; NaN when no class occurs.
 */
export function meanIoU(gold: ArrayLike<number>, pred: ArrayLike<number>, classes: number): number {
  const inter = new Float64Array(classes);
  const union = new Float64Array(classes);
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i];
    const p = pred[i];
    if (g === p) {
      inter[g]++;
      union[g]++;
    } else {
      union[g]++;
      union[p]++;
    }
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) {
    if (union[c] === 0) continue;
    sum += inter[c] / union[c];
    present++;
  }
  return present ? sum / present : NaN;
}

export const meanIouMetric: MetricDescriptor = metric({
  type: 'mean-iou',
  description: 'Mean over classes of TP / (TP + FP + FN) of the argmax class, over every labelled row or pixel; a class absent from both gold and prediction is left out of the mean',
  taskTypes: ['classification'],
  higherIsBetter: true,
  options: opts(),
  key: () => 'mean-iou',
  create() {
    return ({ yTrue, yPred, n, predDim }) => {
      if (n === 0) return NaN;
      const pred = new Int32Array(n);
      for (let i = 0; i < n; i++) pred[i] = argmaxRow(yPred, i, predDim);
      return meanIoU(yTrue.subarray(0, n), pred, predDim);
    };
  },
});
