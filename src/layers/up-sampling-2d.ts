// Owns the `upSampling2d` layer: repeating (nearest) or interpolating (bilinear) the rows and cols of
// (rows, cols, channels) inputs by a whole factor, without weights.
import * as tf from '@tensorflow/tfjs';
import { oneOf, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { intOrTuple } from './common';

export const upSampling2dLayer: LayerDescriptor = layer({
  type: 'upSampling2d',
  description: 'Upsampling of the rows and cols of (rows, cols, channels) inputs by whole factors, no weights',
  options: opts({
    size: intOrTuple(2, 'Factor for the rows and cols', 2),
    interpolation: oneOf(['nearest', 'bilinear'], { default: 'nearest', description: 'nearest: repeat each value; bilinear: interpolate' }),
  }),
  create(a, ctx) {
    const size = typeof a.size === 'number' ? [a.size, a.size] : a.size;
    return tf.layers.upSampling2d({ name: ctx.name, size, interpolation: a.interpolation });
  },
});
