// Owns the `zeroPadding2d` layer: zero rows and cols added around (rows, cols, channels) inputs, e.g.
// to bring a decoder's feature map back to the size of the encoder's skip connection.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { intOrTuple } from './common';

export const zeroPadding2dLayer: LayerDescriptor = layer({
  type: 'zeroPadding2d',
  description: 'Zeros around the rows and cols of (rows, cols, channels) inputs',
  options: opts({ padding: intOrTuple(2, 'Zero rows added at the top and bottom, and zero cols at the left and right (n or [rows, cols])', 1) }),
  create(a, ctx) {
    const p = typeof a.padding === 'number' ? [a.padding, a.padding] : a.padding;
    return tf.layers.zeroPadding2d({ name: ctx.name, padding: [[p[0], p[0]], [p[1], p[1]]] });
  },
});
