// Owns the `auc` metric: area under the ROC curve, exact, by the rank (Mann–Whitney U) statistic.
//
// Tied scores get their average rank, so a tie between a positive and a negative counts ½. A column
// whose targets are all one class has no ROC curve: binary returns NaN then, multilabel averages over
// the labels that have both classes and returns NaN when none has. The reporter prints NaN as it is.
import { opts } from '../util/options';
import { metric, type MetricDescriptor } from './types';
import { isPositive } from './common';

/** AUC of column `col` of an [n, width] layout, or NaN without both classes. */
export function rankAuc(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, n: number, width: number, col: number): number {
  const order = Array.from({ length: n }, (_, i) => i);
  const score = (i: number) => yPred[i * width + col];
  order.sort((a, b) => score(a) - score(b));
  let pos = 0;
  let rankSumPos = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && score(order[end]) === score(order[start])) end++;
    const avgRank = (start + 1 + end) / 2; // ranks start+1 … end
    for (let k = start; k < end; k++) {
      if (isPositive(yTrue[order[k] * width + col])) {
        pos++;
        rankSumPos += avgRank;
      }
    }
    start = end;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export const aucMetric: MetricDescriptor = metric({
  type: 'auc',
  description: 'ROC AUC by the rank statistic, ties counted ½ (multilabel: mean over labels with both classes; NaN if a single class)',
  taskTypes: ['binary', 'multilabel'],
  higherIsBetter: true,
  options: opts(),
  key: () => 'auc',
  create() {
    return ({ yTrue, yPred, n, predDim }) => {
      let sum = 0;
      let used = 0;
      for (let col = 0; col < predDim; col++) {
        const a = rankAuc(yTrue, yPred, n, predDim, col);
        if (Number.isNaN(a)) continue;
        sum += a;
        used++;
      }
      return used ? sum / used : NaN;
    };
  },
});
