// Owns the `mean-iou` metric: the mean over classes of intersection over union, TP / (TP + FP + FN),
// counted over every labelled row — for per-pixel (and per-token) targets, every labelled pixel.
import { opts } from '../util/options';
import { argmaxRow } from './common';
import { summable } from './summable';
import { metric, type MetricDescriptor } from './types';

/**
 * Mean IoU of predicted classes against gold classes over `classes` classes. A class that is absent
 * from both gold and prediction (union 0) has no IoU and is left out of the mean, so a batch without
 * any "right item" pixels is not rewarded with IoU 1 nor punished with 0; NaN when no class occurs.
 */
export function meanIoU(gold: ArrayLike<number>, pred: ArrayLike<number>, classes: number): number {
  return iouValue(iouStats(gold, pred, classes));
}

/** [intersection of class 0..C−1, union of class 0..C−1]: these add up over batches. */
function iouStats(gold: ArrayLike<number>, pred: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(2 * classes).fill(0);
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i];
    const p = pred[i];
    if (g === p) {
      counts[g]++;
      counts[classes + g]++;
    } else {
      counts[classes + g]++;
      counts[classes + p]++;
    }
  }
  return counts;
}

function iouValue(counts: number[]): number {
  const classes = counts.length / 2;
  let sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) {
    if (counts[classes + c] === 0) continue;
    sum += counts[c] / counts[classes + c];
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
    return summable({
      stats: ({ yTrue, yPred, n, predDim }) => {
        const pred = new Int32Array(n);
        for (let i = 0; i < n; i++) pred[i] = argmaxRow(yPred, i, predDim);
        return iouStats(yTrue.subarray(0, n), pred, predDim);
      },
      value: iouValue,
    });
  },
});
