// Owns the `cropping2d` layer: rows and cols removed at the edges of (rows, cols, channels) inputs, e.g.
// to cut an upsampled map down to the size of the skip connection it joins.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { intOrTuple } from './common';

export const cropping2dLayer: LayerDescriptor = layer({
  type: 'cropping2d',
  description: 'Rows and cols removed at the edges of (rows, cols, channels) inputs',
  options: opts({ cropping: intOrTuple(2, 'Rows removed at the top and bottom, and cols at the left and right (n or [rows, cols])', 1) }),
  create(a, ctx) {
    const c = typeof a.cropping === 'number' ? [a.cropping, a.cropping] : a.cropping;
    return tf.layers.cropping2D({ name: ctx.name, cropping: [[c[0], c[0]], [c[1], c[1]]] });
  },
});
