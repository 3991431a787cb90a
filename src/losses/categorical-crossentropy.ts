// Owns the `categorical-crossentropy` loss: cross-entropy of a softmax head against class targets.
import { crossEntropyDescriptor } from './common';

export const categoricalCrossentropyLoss = crossEntropyDescriptor(
  'categorical-crossentropy',
  'Cross-entropy between class targets (indices, one-hot encoded here, or probability rows) and the predicted distribution',
  'targets become y(1−ε) + ε/classes',
  true,
);
