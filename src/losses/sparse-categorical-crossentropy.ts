// Owns the `sparse-categorical-crossentropy` loss: cross-entropy of a softmax head against class indices.
// Label smoothing is applied to the one-hot of the index, as Keras 3 does.
import { crossEntropyDescriptor } from './common';

export const sparseCategoricalCrossentropyLoss = crossEntropyDescriptor(
  'sparse-categorical-crossentropy',
  'Cross-entropy between integer class indices and the predicted distribution',
  'the one-hot of the index becomes y(1−ε) + ε/classes',
  false,
);
