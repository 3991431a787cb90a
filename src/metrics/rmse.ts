// Owns the `rmse` metric: root mean squared error, per output column, averaged over columns.
import { opts } from '../util/options';
import { metric, type MetricDescriptor } from './types';

export const rmseMetric: MetricDescriptor = metric({
  type: 'rmse',
  description: 'Root mean squared error of each output column, averaged over the columns',
  taskTypes: ['regression'],
  higherIsBetter: false,
  options: opts(),
  key: () => 'rmse',
  create: () => ({ yTrue, yPred, n, predDim }) => {
    if (n === 0 || predDim === 0) return NaN;
    let sum = 0;
    for (let col = 0; col < predDim; col++) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const e = yTrue[i * predDim + col] - yPred[i * predDim + col];
        s += e * e;
      }
      sum += Math.sqrt(s / n);
    }
    return sum / predDim;
  },
});
