// Owns `cross-stitch` networks (Misra, Shrivastava, Gupta & Hebert, CVPR 2016, "Cross-stitch Networks
// for Multi-task Learning"): one column of the backbone per task, and after each layer a learned T×T
// cross-stitch unit mixing the columns' activations (src/architectures/units.ts).
import type * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { SHARED_GROUP } from '../tasks';
import { CrossStitch } from './units';
import { architecture, type ArchitectureDescriptor, type Created, type Features } from './types';

const typeOf = (item: Record<string, unknown>) => Object.keys(item)[0];

export const crossStitchArchitecture: ArchitectureDescriptor = architecture({
  type: 'cross-stitch',
  description: 'Cross-stitch networks: one backbone column per task, columns mixed by a learned T×T unit after each layer (Misra et al. 2016)',
  options: opts({
    alphaSelf: num({ minimum: 0, maximum: 1, default: 0.9, description: 'Initial weight of a column on itself (α_S); the rest, 1 − α_S, is split evenly over the other columns' }),
  }),
  create(c, ctx) {
    const items = ctx.backboneList('cross-stitch');
    const T = ctx.taskNames.length;
    let cols: tf.SymbolicTensor[] = ctx.taskNames.map(() => ctx.joined());
    const columnLayers: Created[] = [];
    items.forEach((item, i) => {
      cols = ctx.taskNames.map((t, k) => {
        const layer = ctx.create(item, ['backbone', i], `${t}_col_${i + 1}_${typeOf(item)}`, t);
        columnLayers.push(layer);
        return ctx.applyTo(layer, item, ['backbone', i], cols[k]);
      });
      if (T > 1) cols = ctx.own(new CrossStitch({ name: `cross_stitch_${i + 1}`, alphaSelf: c.alphaSelf }), SHARED_GROUP).apply(cols) as tf.SymbolicTensor[];
    });
    // Through the units every column feeds every task's loss: for gradient strategies they are shared.
    if (T > 1) ctx.shareGradients(columnLayers);
    return Object.fromEntries(ctx.taskNames.map((t, k): [string, Features] => [t, { outputs: { backbone: cols[k] }, order: ['backbone'] }]));
  },
});
