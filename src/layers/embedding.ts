// Owns the `embedding` layer: integer token ids to dense vectors.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { initializer, initializerSchema, objectSchema, regularizer, regularizerSchema, type Args } from './common';

export const embedding: LayerDescriptor = {
  type: 'embedding',
  description: 'Maps integer ids in [0, inputDim) to learned vectors of size outputDim',
  schema: objectSchema(
    {
      inputDim: { type: 'integer', minimum: 1, description: 'Vocabulary size (largest id + 1)' },
      outputDim: { type: 'integer', minimum: 1, description: 'Size of each vector' },
      maskZero: { type: 'boolean', default: false, description: 'Treat id 0 as padding and mask it for the following recurrent layers' },
      embeddingsInitializer: initializerSchema('randomUniform', 'Initialiser of the vectors (seeded from the spec seed)'),
      embeddingsRegularizer: regularizerSchema('vectors'),
    },
    ['inputDim', 'outputDim'],
  ),
  create(a: Args, ctx) {
    return tf.layers.embedding({
      name: ctx.name,
      inputDim: a.inputDim,
      outputDim: a.outputDim,
      maskZero: a.maskZero,
      embeddingsInitializer: initializer(a.embeddingsInitializer, 'randomUniform', ctx.nextSeed()),
      embeddingsRegularizer: regularizer(a.embeddingsRegularizer),
    });
  },
};
