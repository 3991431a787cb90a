// Owns the `averagePooling2d` layer: average pooling over the rows and cols of (rows, cols, channels) inputs.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { intOrTuple, intOrTupleOptional, padding } from './common';

export const averagePooling2dLayer: LayerDescriptor = layer({
  type: 'averagePooling2d',
  description: 'Average pooling over the rows and cols of (rows, cols, channels) inputs',
  options: opts({
    poolSize: intOrTuple(2, 'Size of the pooling window', 2),
    strides: intOrTupleOptional(2, 'Step of the window (default: poolSize)'),
    padding,
  }),
  create(a, ctx) {
    return tf.layers.averagePooling2d({ name: ctx.name, poolSize: a.poolSize, strides: a.strides ?? a.poolSize, padding: a.padding });
  },
});
