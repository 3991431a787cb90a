// Owns the `top-k-accuracy` metric: fraction of rows whose class is among the k highest predictions
// (a gold `<other>` of unseen: other is never a hit, as accuracy counts it wrong).
import { int, opts } from '../util/options';
import { metric, type MetricDescriptor } from './types';
import { otherIndex } from './common';

export const topKAccuracyMetric: MetricDescriptor = metric({
  type: 'top-k-accuracy',
  description: 'Fraction of rows whose class is among the k most probable (ties at the boundary count as hits, like tf.math.in_top_k)',
  taskTypes: ['classification'],
  higherIsBetter: true,
  options: opts({ k: int({ minimum: 1, default: 5, description: 'How many of the most probable classes count' }) }),
  key: (c) => `top-${c.k}-accuracy`,
  create(c, ctx) {
    const k = c.k;
    const other = otherIndex(ctx.classNames);
    return ({ yTrue, yPred, n, predDim }) => {
      if (n === 0) return NaN;
      let hits = 0;
      for (let i = 0; i < n; i++) {
        const t = yTrue[i];
        if (!(t >= 0 && t < predDim) || t === other) continue;
        const s = yPred[i * predDim + t];
        if (!Number.isFinite(s)) continue;
        let above = 0;
        for (let j = 0; j < predDim; j++) if (yPred[i * predDim + j] > s) above++;
        if (above < k) hits++;
      }
      return hits / n;
    };
  },
});
