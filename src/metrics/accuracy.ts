// Owns the `accuracy` metric: fraction of correct predictions (a gold `<other>` of unseen: other counts as wrong).
import { metric, type MetricDescriptor } from './types';
import { argmaxRow, isPositive, otherIndex, thresholdOptions } from './common';
import { summable } from './summable';

export const accuracyMetric: MetricDescriptor = metric({
  type: 'accuracy',
  description: 'Fraction correct: argmax = class index (classification; per pixel for a per-pixel head: pixel accuracy); prediction > threshold = 0/1 target, over every output (binary, multilabel)',
  taskTypes: ['classification', 'binary', 'multilabel'],
  higherIsBetter: true,
  options: thresholdOptions,
  key: () => 'accuracy',
  create(c, ctx) {
    const threshold = c.threshold;
    if (ctx.taskType === 'classification') {
      const other = otherIndex(ctx.classNames);
      return summable({
        stats: ({ yTrue, yPred, n, predDim }) => {
          let hits = 0;
          for (let i = 0; i < n; i++) if (argmaxRow(yPred, i, predDim) === yTrue[i] && yTrue[i] !== other) hits++;
          return [hits, n];
        },
        value: ([hits, n]) => (n ? hits / n : NaN),
      });
    }
    return ({ yTrue, yPred, n, predDim }) => {
      const total = n * predDim;
      if (total === 0) return NaN;
      let hits = 0;
      for (let k = 0; k < total; k++) if (yPred[k] > threshold === isPositive(yTrue[k])) hits++;
      return hits / total;
    };
  },
});
