// Owns the `dense` layer: a fully connected layer.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { activation, initializer, initializerSchema, objectSchema, regularizer, regularizerSchema, units, useBias, type Args } from './common';

export const dense: LayerDescriptor = {
  type: 'dense',
  description: 'Fully connected layer: activation(x·kernel + bias)',
  schema: objectSchema(
    {
      units: units(),
      activation: activation('linear'),
      useBias,
      kernelInitializer: initializerSchema('glorotUniform', 'Initialiser of the kernel (seeded from the spec seed)'),
      kernelRegularizer: regularizerSchema('kernel'),
    },
    ['units'],
  ),
  create(a: Args, ctx) {
    return tf.layers.dense({
      name: ctx.name,
      units: a.units,
      activation: a.activation,
      useBias: a.useBias,
      kernelInitializer: initializer(a.kernelInitializer, 'glorotUniform', ctx.nextSeed()),
      kernelRegularizer: regularizer(a.kernelRegularizer),
    });
  },
};
