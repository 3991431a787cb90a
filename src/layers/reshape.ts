// Owns the `reshape` layer: gives the non-batch axes a new shape.
// No -1 entries: tfjs 4.22 Reshape.computeOutputShape only infers -1 when every input dimension is
// known, and the batch dimension never is, so the symbolic shape keeps an unknown axis and the next
// dense/conv layer fails to build.
import * as tf from '@tensorflow/tfjs';
import { int, list, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const reshapeLayer: LayerDescriptor = layer({
  type: 'reshape',
  description: 'Reshapes the non-batch axes (the number of elements must stay the same)',
  options: opts({
    targetShape: list(int({ minimum: 1 }), {
      required: true,
      minItems: 1,
      description: 'New shape without the batch axis, every size given (its product must equal the input size)',
    }),
  }),
  create(a, ctx) {
    return tf.layers.reshape({ name: ctx.name, targetShape: a.targetShape });
  },
});
