// Owns registering every custom tfjs layer class mtl creates, so that a stock tf.loadLayersModel can
// deserialise mtl checkpoints: import this module (for its side effect) before loading a model.
import '../architectures/units';
import '../layers/distance';
import '../layers/index';
import '../layers/subtract';
