// Owns the `entity-precision` metric: entity-level precision over BIO tag sequences, CoNLL conventions (src/metrics/bio.ts).
import { metric, type MetricDescriptor } from './types';
import { chunkCounts, precisionOf, tagList, tagsOptions } from './bio';

export const entityPrecisionMetric: MetricDescriptor = metric({
  type: 'entity-precision',
  description: 'BIO tagging, CoNLL rules: fraction of predicted entities that match a gold entity exactly (type and both boundaries)',
  taskTypes: ['classification'],
  higherIsBetter: true,
  options: tagsOptions,
  key: () => 'entity-precision',
  create(c, ctx) {
    const tags = tagList(c.tags, ctx);
    return (input) => precisionOf(chunkCounts(input, tags));
  },
});
