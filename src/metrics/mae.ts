// Owns the `mae` metric: mean absolute error over every output of every row.
import { opts } from '../util/options';
import { summable } from './summable';
import { metric, type MetricDescriptor } from './types';

export const maeMetric: MetricDescriptor = metric({
  type: 'mae',
  description: 'Mean absolute error |y − ŷ| (averaged over rows and output columns; over pixels for a per-pixel head)',
  taskTypes: ['regression'],
  higherIsBetter: false,
  options: opts(),
  key: () => 'mae',
  create: () =>
    summable({
      stats: ({ yTrue, yPred, n, predDim }) => {
        const total = n * predDim;
        let s = 0;
        for (let k = 0; k < total; k++) s += Math.abs(yTrue[k] - yPred[k]);
        return [s, total];
      },
      value: ([s, total]) => (total ? s / total : NaN),
    }),
});
