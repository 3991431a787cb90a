// Owns the `entity-precision` metric: entity-level precision over BIO tag sequences, CoNLL conventions (src/metrics/bio.ts).
import type { MetricDescriptor } from './types';
import { chunkCounts, precisionOf, tagsSchema } from './bio';

export const entityPrecision: MetricDescriptor = {
  type: 'entity-precision',
  description: 'BIO tagging, CoNLL rules: fraction of predicted entities that match a gold entity exactly (type and both boundaries)',
  taskTypes: ['classification'],
  higherIsBetter: true,
  schema: { type: 'object', additionalProperties: false, required: ['tags'], properties: { tags: tagsSchema } },
  key: () => 'entity-precision',
  create(c) {
    const tags = c.tags as string[];
    return (input) => precisionOf(chunkCounts(input, tags));
  },
};
