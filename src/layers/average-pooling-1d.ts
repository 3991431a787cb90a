// Owns the `averagePooling1d` layer: average pooling over the steps of (steps, channels) inputs.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { intOrTuple, intOrTupleOptional, padding } from './common';

export const averagePooling1dLayer: LayerDescriptor = layer({
  type: 'averagePooling1d',
  description: 'Average pooling over the steps of (steps, channels) inputs',
  options: opts({
    poolSize: intOrTuple(1, 'Size of the pooling window', 2),
    strides: intOrTupleOptional(1, 'Step of the window (default: poolSize)'),
    padding,
  }),
  create(a, ctx) {
    return tf.layers.averagePooling1d({ name: ctx.name, poolSize: a.poolSize, strides: a.strides ?? a.poolSize, padding: a.padding });
  },
});
