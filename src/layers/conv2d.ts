// Owns the `conv2d` layer: 2-D convolution over [rows, cols, channels] inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { activation, initializer, initializerSchema, intOrTuple, objectSchema, padding, regularizer, regularizerSchema, useBias, type Args } from './common';

export const conv2d: LayerDescriptor = {
  type: 'conv2d',
  description: '2-D convolution over (rows, cols, channels) inputs',
  schema: objectSchema(
    {
      filters: { type: 'integer', minimum: 1, description: 'Number of output channels' },
      kernelSize: intOrTuple(2, 'Size of the convolution window'),
      strides: intOrTuple(2, 'Step of the window', 1),
      padding,
      dilationRate: intOrTuple(2, 'Dilation of the window', 1),
      activation: activation('linear'),
      useBias,
      kernelInitializer: initializerSchema('glorotUniform', 'Initialiser of the kernel (seeded from the spec seed)'),
      kernelRegularizer: regularizerSchema('kernel'),
    },
    ['filters', 'kernelSize'],
  ),
  create(a: Args, ctx) {
    return tf.layers.conv2d({
      name: ctx.name,
      filters: a.filters,
      kernelSize: a.kernelSize,
      strides: a.strides,
      padding: a.padding,
      dilationRate: a.dilationRate,
      activation: a.activation,
      useBias: a.useBias,
      kernelInitializer: initializer(a.kernelInitializer, 'glorotUniform', ctx.nextSeed()),
      kernelRegularizer: regularizer(a.kernelRegularizer),
    });
  },
};
