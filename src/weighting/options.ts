// Owns the weighting options every method accepts (gradSpace, updateEvery, diagnostics): their JSON
// Schema, merged into each method's branch of the spec schema, and their resolved runtime form.
import { resolveOptions, type JSONSchema } from '../registry';
import { bool, custom, int, obj, oneOf, opts, type Options } from '../util/options';

/** Steps between diagnostic records for gradient methods when `every` is auto. */
export const AUTO_DIAGNOSTICS_EVERY = 50;

const commonOptions = opts({
  gradSpace: oneOf(['parameters', 'representation'], {
    default: 'parameters',
    description:
      'Where gradient methods take per-task gradients: the shared parameters (T backward passes), or the shared representation z (one backward pass; the heads only per task). Loss-based methods ignore it',
  }),
  updateEvery: int({
    minimum: 1,
    default: 1,
    description: 'Recompute the combination every k steps; in between, reuse the last weights on a cheap weighted-loss step',
  }),
  diagnostics: obj(
    {
      every: custom<number | 'auto'>()({
        anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', enum: ['auto'] }],
        default: 'auto',
        description: `Steps between records (0: off; auto: ${AUTO_DIAGNOSTICS_EVERY} for gradient methods, off for loss-based ones)`,
      }),
      cosine: bool({ default: true, description: 'Include the T×T cosine matrix of the task gradients' }),
    },
    {
      default: {},
      description: 'Step-level records in metrics.jsonl: task weights, per-task gradient norms over the shared parameters, their pairwise cosines',
    },
  ),
});

export type WeightingOptions = Options<typeof commonOptions>;
export type GradSpace = WeightingOptions['gradSpace'];

/** The options every method accepts, merged into each method's branch of the spec schema. */
export const COMMON_WEIGHTING_OPTIONS = commonOptions.schema.properties as Record<string, JSONSchema>;

/** The common options of a weighting section, validated and with defaults filled. */
export function weightingOptions(w: Record<string, unknown>): WeightingOptions {
  const { gradSpace, updateEvery, diagnostics } = resolveOptions('weighting', commonOptions, w);
  return { gradSpace, updateEvery, diagnostics };
}

/** Diagnostic period in steps for a strategy (0: off). */
export function diagnosticsEvery(o: WeightingOptions, needs: 'losses' | 'task-gradients'): number {
  if (o.diagnostics.every === 'auto') return needs === 'task-gradients' ? AUTO_DIAGNOSTICS_EVERY : 0;
  return o.diagnostics.every;
}
