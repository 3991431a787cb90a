// Owns the `concatenate` merge layer: several inputs joined along one axis.
import * as tf from '@tensorflow/tfjs';
import { int, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const concatenateLayer: LayerDescriptor = layer({
  type: 'concatenate',
  description: 'Merge (graph nodes): joins several inputs along one axis (the others must match)',
  options: opts({ axis: int({ default: -1, description: 'Axis to join along (-1: the last)' }) }),
  create(a, ctx) {
    return tf.layers.concatenate({ name: ctx.name, axis: a.axis });
  },
});
