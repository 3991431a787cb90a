// Owns the `entity-recall` metric: entity-level recall over BIO tag sequences, CoNLL conventions (src/metrics/bio.ts).
import type { MetricDescriptor } from './types';
import { chunkCounts, recallOf, tagsSchema } from './bio';

export const entityRecall: MetricDescriptor = {
  type: 'entity-recall',
  description: 'BIO tagging, CoNLL rules: fraction of gold entities predicted exactly (type and both boundaries)',
  taskTypes: ['classification'],
  higherIsBetter: true,
  schema: { type: 'object', additionalProperties: false, required: ['tags'], properties: { tags: tagsSchema } },
  key: () => 'entity-recall',
  create(c) {
    const tags = c.tags as string[];
    return (input) => recallOf(chunkCounts(input, tags));
  },
};
