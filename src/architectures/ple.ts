// Owns `ple`, Progressive Layered Extraction, and its one-level form `cgc`, Customized Gate Control
// (Tang, Liu, Zhao & Gong, RecSys 2020, "Progressive Layered Extraction (PLE): A Novel Multi-Task
// Learning (MTL) Model for Personalized Recommendations", eq. 2–6). Each level has shared experts and
// task-specific experts; task k's gate mixes its own experts and the shared ones; below the top level
// a shared gate mixes every expert into the shared input of the next level.
import type * as tf from '@tensorflow/tfjs';
import type { LayerItem } from '../spec/types';
import type { PathSeg } from '../errors';
import { int, opts, type Options } from '../util/options';
import { SHARED_GROUP } from '../tasks';
import { expert, expertCount, expertItems, expertList, expertOption, mixture, softmaxGate } from './experts';
import { architecture, single, type ArchitectureContext, type ArchitectureDescriptor, type Created, type Features } from './types';

export function extraction(c: ExtractionOptions, ctx: ArchitectureContext, arch: string, levels: number): Record<string, Features> {
  const first = expertItems(c, ctx, arch);
  let upper: { items: LayerItem[]; path: PathSeg[] } | undefined = c.upperExpert ? { items: c.upperExpert, path: ['architecture', 'upperExpert'] } : undefined;
  const x = ctx.joined();
  const ms = c.sharedExperts;
  const mt = c.taskExperts;
  let sharedIn = x;
  let taskIn: tf.SymbolicTensor[] = ctx.taskNames.map(() => x);
  for (let l = 1; l <= levels; l++) {
    const top = l === levels;
    const e = l === 1 ? first : (upper ??= defaultUpper(first, x, taskIn[0]));
    const shared = Array.from({ length: ms }, (_, k) => expert(ctx, e, `l${l}_shared${k + 1}`, SHARED_GROUP, sharedIn));
    const lower: Created[] = [];
    const own = ctx.taskNames.map((t, i) => Array.from({ length: mt }, (_, k) => expert(ctx, e, `l${l}_${t}_expert${k + 1}`, t, taskIn[i], lower)));
    if (!top) {
      // Below the top level, task experts also feed the shared gate, hence every task's loss.
      ctx.shareGradients(lower);
      sharedIn = mixture(ctx, softmaxGate(ctx, sharedIn, ms + mt * ctx.taskNames.length, `l${l}_shared_gate`, SHARED_GROUP), [...own.flat(), ...shared], `l${l}_shared_mixture`, SHARED_GROUP);
    }
    taskIn = ctx.taskNames.map((t, i) => mixture(ctx, softmaxGate(ctx, taskIn[i], mt + ms, `l${l}_${t}_gate`, t), [...own[i], ...shared], `l${l}_${t}_mixture`, t));
  }
  return Object.fromEntries(ctx.taskNames.map((t, i) => [t, single('backbone', taskIn[i])]));
}

/**
 * Levels 2 and up read a mixture of level-1 experts. Without upperExpert they reuse the expert stack
 * when its output has the shape class of its input (e.g. dense → dense); otherwise (a convolutional
 * stack ending in flatten/dense) the stack cannot read its own output, and the upper expert is one
 * dense ReLU layer as wide as the level-1 expert output.
 */
function defaultUpper(first: { items: LayerItem[]; path: PathSeg[] }, x: tf.SymbolicTensor, y: tf.SymbolicTensor): { items: LayerItem[]; path: PathSeg[] } {
  if (y.shape.length === x.shape.length) return first;
  return { items: [{ dense: { units: y.shape[y.shape.length - 1] as number, activation: 'relu' } } as unknown as LayerItem], path: ['architecture', 'upperExpert'] };
}

/** The options cgc and ple share. */
export const common = {
  sharedExperts: expertCount(1, 'Shared experts per level'),
  taskExperts: expertCount(1, 'Experts of each task per level'),
  expert: expertOption,
};

type ExtractionOptions = Options<typeof cgcOptions> & { upperExpert?: LayerItem[] };

/** cgc's options: one level's. */
export const cgcOptions = opts(common);

export const pleArchitecture: ArchitectureDescriptor = architecture({
  type: 'ple',
  description: 'Progressive layered extraction: `levels` stacked CGC levels, with a shared gate feeding each next level (Tang et al. 2020)',
  options: opts({
    levels: int({ minimum: 1, maximum: 8, default: 2, description: 'Number of extraction levels' }),
    ...common,
    upperExpert: expertList('Layers of one expert at levels 2 and up, which read a mixture of the level below (default: the expert stack when it can read its own output, else one dense ReLU layer as wide as the expert output)'),
  }),
  create: (c, ctx) => extraction(c, ctx, 'ple', c.levels),
});
