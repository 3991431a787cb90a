// Owns `hard` parameter sharing (Caruana 1997, "Multitask Learning"): one backbone shared by every
// task, each task's head reading the same features.
import { opts } from '../util/options';
import { SHARED_GROUP } from '../tasks';
import { architecture, type ArchitectureDescriptor, type Features } from './types';

export const hardArchitecture: ArchitectureDescriptor = architecture({
  type: 'hard',
  description: 'Hard parameter sharing: one backbone (layer list or graph) shared by all tasks (Caruana 1997)',
  options: opts(),
  create(_c, ctx) {
    const b = ctx.backbone('shared', SHARED_GROUP);
    const f: Features = { outputs: b.outputs, order: b.order };
    return Object.fromEntries(ctx.taskNames.map((t) => [t, f]));
  },
});
