// Owns the `exact-match` metric: subset accuracy for multilabel tasks — a row counts as right only
// when every one of its labels is (Tsoumakas & Katakis 2007, "Multi-label classification: an
// overview", doi:10.4018/jdwm.2007070101); the figure multi-intent papers report as intent accuracy.
import { metric, type MetricDescriptor } from './types';
import { isPositive, thresholdOptions } from './common';

export const exactMatchMetric: MetricDescriptor = metric({
  type: 'exact-match',
  description: 'multilabel: fraction of rows whose every label is predicted right (prediction > threshold = 0/1 target); subset accuracy',
  taskTypes: ['multilabel'],
  higherIsBetter: true,
  options: thresholdOptions,
  key: () => 'exact-match',
  create(c) {
    const threshold = c.threshold;
    return ({ yTrue, yPred, n, predDim }) => {
      if (n === 0) return NaN;
      let hits = 0;
      for (let i = 0; i < n; i++) {
        let all = true;
        for (let j = 0; j < predDim && all; j++) all = yPred[i * predDim + j] > threshold === isPositive(yTrue[i * predDim + j]);
        if (all) hits++;
      }
      return hits / n;
    };
  },
});
