// Owns the `conv1d` layer: 1-D convolution over [steps, channels] inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { activation, initializer, initializerSchema, intOrTuple, objectSchema, padding, regularizer, regularizerSchema, useBias, type Args } from './common';

export const conv1d: LayerDescriptor = {
  type: 'conv1d',
  description: '1-D convolution over (steps, channels) inputs',
  schema: objectSchema(
    {
      filters: { type: 'integer', minimum: 1, description: 'Number of output channels' },
      kernelSize: intOrTuple(1, 'Length of the convolution window'),
      strides: intOrTuple(1, 'Step of the window', 1),
      padding,
      dilationRate: intOrTuple(1, 'Dilation of the window', 1),
      activation: activation('linear'),
      useBias,
      kernelInitializer: initializerSchema('glorotUniform', 'Initialiser of the kernel (seeded from the spec seed)'),
      kernelRegularizer: regularizerSchema('kernel'),
    },
    ['filters', 'kernelSize'],
  ),
  create(a: Args, ctx) {
    return tf.layers.conv1d({
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
