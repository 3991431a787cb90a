// Owns the `embedding` layer: integer token ids to dense vectors.
import * as tf from '@tensorflow/tfjs';
import { bool, int, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { initializer, initializerOption, regularizer, regularizerOption } from './common';

export const embeddingLayer: LayerDescriptor = layer({
  type: 'embedding',
  description: 'Maps integer ids in [0, inputDim) to learned vectors of size outputDim',
  options: opts({
    inputDim: int({ required: true, minimum: 1, description: 'Vocabulary size (largest id + 1)' }),
    outputDim: int({ required: true, minimum: 1, description: 'Size of each vector' }),
    maskZero: bool({ default: false, description: 'Treat id 0 as padding and mask it for the following recurrent layers' }),
    embeddingsInitializer: initializerOption('randomUniform', 'Initialiser of the vectors (seeded from the spec seed)'),
    embeddingsRegularizer: regularizerOption('vectors'),
  }),
  create(a, ctx) {
    return tf.layers.embedding({
      name: ctx.name,
      inputDim: a.inputDim,
      outputDim: a.outputDim,
      maskZero: a.maskZero,
      embeddingsInitializer: initializer(a.embeddingsInitializer, 'randomUniform', ctx.nextSeed()),
      embeddingsRegularizer: regularizer(a.embeddingsRegularizer),
    });
  },
});
