// Owns the `concatenate` merge layer: several inputs joined along one axis.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema, type Args } from './common';

export const concatenate: LayerDescriptor = {
  type: 'concatenate',
  description: 'Merge (graph nodes): joins several inputs along one axis (the others must match)',
  schema: objectSchema({ axis: { type: 'integer', default: -1, description: 'Axis to join along (-1: the last)' } }),
  create(a: Args, ctx) {
    return tf.layers.concatenate({ name: ctx.name, axis: a.axis });
  },
};
