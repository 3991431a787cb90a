// Owns the `reshape` layer: gives the non-batch axes a new shape.
// No -1 entries: tfjs 4.22 Reshape.computeOutputShape only infers -1 when every input dimension is
// known, and the batch dimension never is, so the symbolic shape keeps an unknown axis and the next
// dense/conv layer fails to build.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema, type Args } from './common';

export const reshape: LayerDescriptor = {
  type: 'reshape',
  description: 'Reshapes the non-batch axes (the number of elements must stay the same)',
  schema: objectSchema(
    {
      targetShape: {
        type: 'array',
        minItems: 1,
        items: { type: 'integer', minimum: 1 },
        description: 'New shape without the batch axis, every size given (its product must equal the input size)',
      },
    },
    ['targetShape'],
  ),
  create(a: Args, ctx) {
    return tf.layers.reshape({ name: ctx.name, targetShape: a.targetShape });
  },
};
