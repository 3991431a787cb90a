// Owns the `layerNormalization` layer: normalises each sample over its features axis.
import * as tf from '@tensorflow/tfjs';
import { bool, int, num, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const layerNormalizationLayer: LayerDescriptor = layer({
  type: 'layerNormalization',
  description: 'Layer normalisation: each sample normalised over its features axis',
  options: opts({
    axis: int({ default: -1, description: 'The axis to normalise over (-1: the last one)' }),
    epsilon: num({ exclusiveMinimum: 0, default: 1e-3, description: 'Added to the variance to avoid division by zero' }),
    center: bool({ default: true, description: 'Learn an offset (beta)' }),
    scale: bool({ default: true, description: 'Learn a scale (gamma)' }),
  }),
  create(a, ctx) {
    return tf.layers.layerNormalization({ name: ctx.name, axis: a.axis, epsilon: a.epsilon, center: a.center, scale: a.scale });
  },
});
