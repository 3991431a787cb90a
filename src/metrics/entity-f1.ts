// Owns the `entity-f1` metric: entity-level f1 over BIO tag sequences, CoNLL conventions (src/metrics/bio.ts).
import type { MetricDescriptor } from './types';
import { chunkCounts, f1Of, tagsSchema } from './bio';

export const entityF1: MetricDescriptor = {
  type: 'entity-f1',
  description: 'BIO tagging, CoNLL rules: harmonic mean of entity-precision and entity-recall',
  taskTypes: ['classification'],
  higherIsBetter: true,
  schema: { type: 'object', additionalProperties: false, required: ['tags'], properties: { tags: tagsSchema } },
  key: () => 'entity-f1',
  create(c) {
    const tags = c.tags as string[];
    return (input) => f1Of(chunkCounts(input, tags));
  },
};
