// Owns the contract of a layer descriptor: YAML args in, a tfjs-layers Layer out.
import type * as tf from '@tensorflow/tfjs';
import type { Descriptor } from '../registry';

export interface LayerContext {
  /** The layer name to use (unique in the model; the last head layer is named after its task). */
  name: string;
  /** A fresh integer seed for each initializer/dropout so that runs are reproducible. */
  nextSeed(): number;
}

export type LayerArgs = Record<string, unknown>;
export type LayerDescriptor = Descriptor<LayerArgs, tf.layers.Layer, LayerContext>;
