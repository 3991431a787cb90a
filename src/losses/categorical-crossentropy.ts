// Owns the `categorical-crossentropy` loss: cross-entropy of a softmax head against class targets.
import type { LossDescriptor } from './types';
import { categoricalCrossentropy, classTarget, fromLogitsSchema, labelSmoothingSchema, numClassesOf } from './common';

export const categoricalCrossentropyLoss: LossDescriptor = {
  type: 'categorical-crossentropy',
  description: 'Cross-entropy between class targets (indices, one-hot encoded here, or probability rows) and the predicted distribution',
  taskTypes: ['classification'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      fromLogits: fromLogitsSchema,
      labelSmoothing: labelSmoothingSchema('targets become y(1−ε) + ε/classes'),
    },
  },
  fromLogits: (c) => c.fromLogits === true,
  create(c) {
    const fromLogits = c.fromLogits === true;
    const smoothing = typeof c.labelSmoothing === 'number' ? c.labelSmoothing : 0;
    return (yTrue, yPred) => categoricalCrossentropy(classTarget(yTrue, numClassesOf(yPred), true), yPred, fromLogits, smoothing);
  },
};
