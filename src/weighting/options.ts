// Owns the weighting options every method accepts (gradSpace, updateEvery, diagnostics): their JSON
// Schema, merged into each method's branch of the spec schema, and their resolved runtime form.
import type { JSONSchema } from '../registry';

export type GradSpace = 'parameters' | 'representation';

export interface WeightingOptions {
  gradSpace: GradSpace;
  updateEvery: number;
  diagnostics: { every: number | 'auto'; cosine: boolean };
}

/** Steps between diagnostic records for gradient methods when `every` is auto. */
export const AUTO_DIAGNOSTICS_EVERY = 50;

export const COMMON_WEIGHTING_OPTIONS: Record<string, JSONSchema> = {
  gradSpace: {
    type: 'string',
    enum: ['parameters', 'representation'],
    default: 'parameters',
    description:
      'Where gradient methods take per-task gradients: the shared parameters (T backward passes), or the shared representation z (one backward pass; the heads only per task). Loss-based methods ignore it',
  },
  updateEvery: {
    type: 'integer',
    minimum: 1,
    default: 1,
    description: 'Recompute the combination every k steps; in between, reuse the last weights on a cheap weighted-loss step',
  },
  diagnostics: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'Step-level records in metrics.jsonl: task weights, per-task gradient norms over the shared parameters, their pairwise cosines',
    properties: {
      every: {
        anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', enum: ['auto'] }],
        default: 'auto',
        description: `Steps between records (0: off; auto: ${AUTO_DIAGNOSTICS_EVERY} for gradient methods, off for loss-based ones)`,
      },
      cosine: { type: 'boolean', default: true, description: 'Include the T×T cosine matrix of the task gradients' },
    },
  },
};

/** The common options of a resolved weighting section (defaults for anything missing). */
export function weightingOptions(w: Record<string, unknown>): WeightingOptions {
  const d = (w.diagnostics ?? {}) as { every?: number | 'auto'; cosine?: boolean };
  return {
    gradSpace: (w.gradSpace as GradSpace | undefined) ?? 'parameters',
    updateEvery: (w.updateEvery as number | undefined) ?? 1,
    diagnostics: { every: d.every ?? 'auto', cosine: d.cosine ?? true },
  };
}

/** Diagnostic period in steps for a strategy (0: off). */
export function diagnosticsEvery(o: WeightingOptions, needs: 'losses' | 'task-gradients'): number {
  if (o.diagnostics.every === 'auto') return needs === 'task-gradients' ? AUTO_DIAGNOSTICS_EVERY : 0;
  return o.diagnostics.every;
}
