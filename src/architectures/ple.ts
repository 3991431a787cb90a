// Owns `ple`, Progressive Layered Extraction, and its one-level form `cgc`, Customized Gate Control
// (Tang, Liu, Zhao & Gong, RecSys 2020, "Progressive Layered Extraction (PLE): A Novel Multi-Task
// Learning (MTL) Model for Personalized Recommendations", eq. 2–6). Each level has shared experts and
// task-specific experts; task k's gate mixes its own experts and the shared ones; below the top level
// a shared gate mixes every expert into the shared input of the next level.
import type * as tf from '@tensorflow/tfjs';
import type { LayerItem } from '../spec/types';
import { int, opts, type Options } from '../util/options';
import { SHARED_GROUP } from '../tasks';
import { expert, expertCount, expertItems, expertList, expertOption, mixture, softmaxGate } from './experts';
import { architecture, single, type ArchitectureContext, type ArchitectureDescriptor, type Created, type Features } from './types';

export function extraction(c: ExtractionOptions, ctx: ArchitectureContext, arch: string, levels: number): Record<string, Features> {
  const first = expertItems(c, ctx, arch);
  const upper = c.upperExpert ? { items: c.upperExpert, path: ['architecture', 'upperExpert'] } : first;
  const x = ctx.joined();
  const ms = c.sharedExperts;
  const mt = c.taskExperts;
  let sharedIn = x;
  let taskIn: tf.SymbolicTensor[] = ctx.taskNames.map(() => x);
  for (let l = 1; l <= levels; l++) {
    const top = l === levels;
    const e = l === 1 ? first : upper;
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
    upperExpert: expertList('Layers of one expert at levels 2 and up, which read a mixture of the level below (default: the expert stack)'),
  }),
  create: (c, ctx) => extraction(c, ctx, 'ple', c.levels),
});
