// Owns the `sparse-categorical-crossentropy` loss: cross-entropy of a softmax head against class indices.
// Label smoothing is applied to the one-hot of the index, as Keras 3 does.
import type { LossDescriptor } from './types';
import { categoricalCrossentropy, classTarget, fromLogitsSchema, labelSmoothingSchema, numClassesOf } from './common';

export const sparseCategoricalCrossentropyLoss: LossDescriptor = {
  type: 'sparse-categorical-crossentropy',
  description: 'Cross-entropy between integer class indices and the predicted distribution',
  taskTypes: ['classification'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      fromLogits: fromLogitsSchema,
      labelSmoothing: labelSmoothingSchema('the one-hot of the index becomes y(1−ε) + ε/classes'),
    },
  },
  fromLogits: (c) => c.fromLogits === true,
  create(c) {
    const fromLogits = c.fromLogits === true;
    const smoothing = typeof c.labelSmoothing === 'number' ? c.labelSmoothing : 0;
    return (yTrue, yPred) => categoricalCrossentropy(classTarget(yTrue, numClassesOf(yPred), false), yPred, fromLogits, smoothing);
  },
};
