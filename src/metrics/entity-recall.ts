// Owns the `entity-recall` metric: entity-level recall over BIO tag sequences, CoNLL conventions (src/metrics/bio.ts).
import { metric, type MetricDescriptor } from './types';
import { chunkCounts, recallOf, tagList, tagsOptions } from './bio';

export const entityRecallMetric: MetricDescriptor = metric({
  type: 'entity-recall',
  description: 'BIO tagging, CoNLL rules: fraction of gold entities predicted exactly (type and both boundaries)',
  taskTypes: ['classification'],
  higherIsBetter: true,
  options: tagsOptions,
  key: () => 'entity-recall',
  create(c, ctx) {
    const tags = tagList(c.tags, ctx);
    return (input) => recallOf(chunkCounts(input, tags));
  },
});
