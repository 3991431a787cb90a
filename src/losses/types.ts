// Owns the contract of a loss descriptor: per-sample losses so that the train step can mask and weight.
import type * as tf from '@tensorflow/tfjs';
import type { Descriptor } from '../registry';
import type { TaskType } from '../tasks';

export interface LossContext {
  taskType: TaskType;
  /** Width of the head's output (last axis). */
  outputDim: number;
}

/**
 * yTrue follows TARGET_LAYOUT for the task type (class indices for classification);
 * yPred is the head output [batch, outputDim]. Returns one loss value per sample, shape [batch].
 */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor1D;

export interface LossDescriptor extends Descriptor<Record<string, unknown>, LossFn, LossContext> {
  /** Task types this loss makes sense for (checked by `mtl validate`). */
  readonly taskTypes: readonly TaskType[];
  /** Whether the head output is expected to be logits under this config (default: false, as in Keras). */
  fromLogits(config: Record<string, unknown>): boolean;
}
