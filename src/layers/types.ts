// Owns the contract of a layer descriptor: YAML args in, a tfjs-layers Layer out.
import type * as tf from '@tensorflow/tfjs';
import { component, type ComponentDef, type ComponentInput, type Descriptor } from '../registry';

export interface LayerContext {
  /** The layer name to use (unique in the model; the last head layer is named after its task). */
  name: string;
  /** A fresh integer seed for each initializer/dropout so that runs are reproducible. */
  nextSeed(): number;
}

export type LayerArgs = ComponentInput;

/**
 * A composite layer type (a built-in backbone such as resnet): several tfjs layers wired together.
 * `layers` lists every sub-layer it created, each named with the block's name as prefix.
 */
export interface LayerBlock {
  readonly kind: 'block';
  apply(x: tf.SymbolicTensor): tf.SymbolicTensor;
  layers: tf.layers.Layer[];
}

export type LayerDescriptor = Descriptor<LayerArgs, tf.layers.Layer | LayerBlock, LayerContext>;

/** A layer type with typed options: `create` receives them validated, defaults filled. */
export const layer = <O>(d: ComponentDef<O, tf.layers.Layer | LayerBlock, LayerContext>): LayerDescriptor => component(d);

export function isLayerBlock(x: tf.layers.Layer | LayerBlock): x is LayerBlock {
  return (x as LayerBlock).kind === 'block';
}

/** Apply what a layer descriptor created, a single layer or a block, to one symbolic input. */
export function applyCreated(created: tf.layers.Layer | LayerBlock, x: tf.SymbolicTensor): tf.SymbolicTensor {
  return isLayerBlock(created) ? created.apply(x) : (created.apply(x) as tf.SymbolicTensor);
}
