// Owns the `rmse` metric: root mean squared error, per output column, averaged over columns.
import { opts } from '../util/options';
import { summable } from './summable';
import { metric, type MetricDescriptor } from './types';

export const rmseMetric: MetricDescriptor = metric({
  type: 'rmse',
  description: 'Root mean squared error of each output column, averaged over the columns (for a per-pixel head each pixel is a row: the RMSE over pixels)',
  taskTypes: ['regression'],
  higherIsBetter: false,
  options: opts(),
  key: () => 'rmse',
  create: () =>
    summable({
      // [n, Σ e² of column 0, Σ e² of column 1, …]
      stats: ({ yTrue, yPred, n, predDim }) => {
        const out = [n];
        for (let col = 0; col < predDim; col++) {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const e = yTrue[i * predDim + col] - yPred[i * predDim + col];
            s += e * e;
          }
          out.push(s);
        }
        return out;
      },
      value: ([n, ...squares]) => {
        if (n === 0 || squares.length === 0) return NaN;
        let sum = 0;
        for (const s of squares) sum += Math.sqrt(s / n);
        return sum / squares.length;
      },
    }),
});
