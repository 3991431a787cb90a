// Owns the `mae` metric: mean absolute error over every output of every row.
import type { MetricDescriptor } from './types';
import { noOptions } from './common';

export const mae: MetricDescriptor = {
  type: 'mae',
  description: 'Mean absolute error |y − ŷ| (averaged over rows and output columns)',
  taskTypes: ['regression'],
  higherIsBetter: false,
  schema: noOptions,
  key: () => 'mae',
  create: () => ({ yTrue, yPred, n, predDim }) => {
    const total = n * predDim;
    if (total === 0) return NaN;
    let s = 0;
    for (let k = 0; k < total; k++) s += Math.abs(yTrue[k] - yPred[k]);
    return s / total;
  },
};
