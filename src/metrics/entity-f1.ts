// Owns the `entity-f1` metric: entity-level f1 over BIO tag sequences, CoNLL conventions (src/metrics/bio.ts).
import { metric, type MetricDescriptor } from './types';
import { chunkCounts, f1Of, tagList, tagsOptions } from './bio';

export const entityF1Metric: MetricDescriptor = metric({
  type: 'entity-f1',
  description: 'BIO tagging, CoNLL rules: harmonic mean of entity-precision and entity-recall',
  taskTypes: ['classification'],
  higherIsBetter: true,
  options: tagsOptions,
  key: () => 'entity-f1',
  create(c, ctx) {
    const tags = tagList(c.tags, ctx);
    return (input) => f1Of(chunkCounts(input, tags));
  },
});
