// Owns the `r2` metric: coefficient of determination, per output column, averaged over columns.
// A constant column (SS_tot = 0) scores 1 if predicted exactly and 0 otherwise, as scikit-learn does.
import { opts } from '../util/options';
import { metric, type MetricDescriptor } from './types';

export const r2Metric: MetricDescriptor = metric({
  type: 'r2',
  description: 'R² = 1 − SS_res/SS_tot of each output column, averaged over the columns (1 perfect, 0 = predicting the mean)',
  taskTypes: ['regression'],
  higherIsBetter: true,
  options: opts(),
  key: () => 'r2',
  create: () => ({ yTrue, yPred, n, predDim }) => {
    if (n === 0 || predDim === 0) return NaN;
    let sum = 0;
    for (let col = 0; col < predDim; col++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += yTrue[i * predDim + col];
      mean /= n;
      let ssRes = 0;
      let ssTot = 0;
      for (let i = 0; i < n; i++) {
        const y = yTrue[i * predDim + col];
        const e = y - yPred[i * predDim + col];
        ssRes += e * e;
        ssTot += (y - mean) * (y - mean);
      }
      sum += ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
    }
    return sum / predDim;
  },
});
