// Owns the `dense` layer: a fully connected layer.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { oneKernel } from './one-kernel';
import { activation, initializer, initializerOption, regularizer, regularizerOption, units, useBias } from './common';

export const denseLayer: LayerDescriptor = layer({
  type: 'dense',
  description: 'Fully connected layer: activation(x·kernel + bias)',
  options: opts({
    units: units(),
    activation: activation('linear'),
    useBias,
    kernelInitializer: initializerOption('glorotUniform', 'Initialiser of the kernel (seeded from the spec seed)'),
    kernelRegularizer: regularizerOption('kernel'),
  }),
  create(a, ctx) {
    return oneKernel(
      tf.layers.dense({
        name: ctx.name,
        units: a.units,
        activation: a.activation,
        useBias: a.useBias,
        kernelInitializer: initializer(a.kernelInitializer, 'glorotUniform', ctx.nextSeed()),
        kernelRegularizer: regularizer(a.kernelRegularizer),
      }),
    );
  },
});
