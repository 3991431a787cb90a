// Owns the `lenet` backbone: LeNet-5 without its output layer (LeCun, Bottou, Bengio & Haffner,
// "Gradient-based learning applied to document recognition", 1998): C1 6@5×5 → S2 → C3 16@5×5 → S4
// → F5 120 → F6 84. The subsampling layers are 2×2 average pooling; C1 pads 'same' so 28×28 inputs
// get the paper's 32×32 geometry; C3 is fully connected across maps (the modern simplification).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { makeBlock } from './block';
import { layer, type LayerDescriptor } from './types';
import { activation } from './common';
import { oneKernel } from './one-kernel';

export const lenetLayer: LayerDescriptor = layer({
  type: 'lenet',
  description: 'LeNet-5 backbone without its output layer (LeCun et al. 1998): (rows, cols, channels) to 84 features',
  options: opts({
    activation: activation('tanh', 'Activation of the convolutions and dense layers (the paper: a scaled tanh)'),
  }),
  create(a, ctx) {
    return makeBlock(ctx, (b, input) => {
      if (input.shape.length !== 4) throw new Error(`lenet needs (rows, cols, channels) input, received rank ${input.shape.length - 1}`);
      const init = () => tf.initializers.glorotUniform({ seed: b.seed() });
      let x = b.apply('c1', (name) => oneKernel(tf.layers.conv2d({ name, filters: 6, kernelSize: 5, padding: 'same', activation: a.activation, kernelInitializer: init() })), input);
      x = b.apply('s2', (name) => tf.layers.averagePooling2d({ name, poolSize: 2 }), x);
      x = b.apply('c3', (name) => oneKernel(tf.layers.conv2d({ name, filters: 16, kernelSize: 5, activation: a.activation, kernelInitializer: init() })), x);
      x = b.apply('s4', (name) => tf.layers.averagePooling2d({ name, poolSize: 2 }), x);
      x = b.apply('flatten', (name) => tf.layers.flatten({ name }), x);
      x = b.apply('f5', (name) => oneKernel(tf.layers.dense({ name, units: 120, activation: a.activation, kernelInitializer: init() })), x);
      return b.apply('f6', (name) => oneKernel(tf.layers.dense({ name, units: 84, activation: a.activation, kernelInitializer: init() })), x);
    });
  },
});
