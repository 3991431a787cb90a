// Owns the `token-accuracy` metric: fraction of real (non-padding) tokens tagged correctly (a gold
// `<other>` tag of unseen: other counts as wrong).
import { opts } from '../util/options';
import { metric, type MetricDescriptor } from './types';
import { tagSequences } from './bio';
import { otherIndex } from './common';

export const tokenAccuracyMetric: MetricDescriptor = metric({
  type: 'token-accuracy',
  description: 'Per-token targets: fraction of real (non-padding) tokens whose predicted tag is the gold tag',
  taskTypes: ['classification'],
  higherIsBetter: true,
  options: opts(),
  key: () => 'token-accuracy',
  create(_c, ctx) {
    const other = otherIndex(ctx.classNames);
    return (input) => {
      let hits = 0;
      let total = 0;
      for (const { gold, pred } of tagSequences(input)) {
        total += gold.length;
        for (let t = 0; t < gold.length; t++) if (gold[t] === pred[t] && gold[t] !== other) hits++;
      }
      return total ? hits / total : NaN;
    };
  },
});
