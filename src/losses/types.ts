// Owns the contract of a loss descriptor: per-sample losses so that the train step can mask and weight.
import type * as tf from '@tensorflow/tfjs';
import { component, resolveOptions, type ComponentDef, type ComponentInput, type Descriptor } from '../registry';
import type { TaskType } from '../tasks';

export interface LossContext {
  taskType: TaskType;
  /** Width of the head's output (last axis). */
  outputDim: number;
  /** The task's name (a structured loss such as crf-nll finds its head layer by it). */
  taskName?: string;
}

/**
 * What a caller may pass beyond (yTrue, yPred): the batch's mask for the task (per row [b] or per
 * token [b, steps]) and the model the output came from (for losses whose parameters live in a layer).
 */
export interface LossAux {
  mask?: tf.Tensor;
  model?: tf.LayersModel;
}

/**
 * yTrue follows TARGET_LAYOUT for the task type (class indices for classification);
 * yPred is the head output [batch, outputDim]. Returns one loss value per sample, shape [batch] —
 * or, for a token-level target (indices [batch, steps] against a [batch, steps, classes] head), one
 * per token [batch, steps], and for a per-pixel head [batch, h, w, C] one per pixel [batch, h, w], so
 * that the train step averages over the labelled tokens or pixels (maskedMean).
 */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor, aux?: LossAux) => tf.Tensor;

/** Head output → what metrics read, in the head output's shape (one-hot rows of the decoded labels). */
export type Decoder = (yPred: tf.Tensor, aux: LossAux) => tf.Tensor;

export interface LossDescriptor extends Descriptor<ComponentInput, LossFn, LossContext> {
  /** Task types this loss makes sense for (checked by `mtl validate`). */
  readonly taskTypes: readonly TaskType[];
  /** Whether the head output is expected to be logits under this config (default: false, as in Keras). */
  fromLogits(config: ComponentInput): boolean;
  /**
   * Optional structured decoding (e.g. Viterbi for crf-nll). Without it, metrics read the output.
   */
  decode?(config: ComponentInput, ctx: LossContext): Decoder;
}

/** A loss declared with typed options: create, fromLogits and decode receive them validated, defaults filled. */
export interface LossDef<O> extends ComponentDef<O, LossFn, LossContext> {
  readonly taskTypes: readonly TaskType[];
  fromLogits(options: O): boolean;
  decode?(options: O, ctx: LossContext): Decoder;
}

export function loss<O>(d: LossDef<O>): LossDescriptor {
  const resolve = (c: ComponentInput) => resolveOptions(d.type, d.options, c);
  const decode = d.decode;
  return {
    ...component(d),
    taskTypes: d.taskTypes,
    fromLogits: (c) => d.fromLogits(resolve(c)),
    ...(decode ? { decode: (c: ComponentInput, ctx: LossContext) => decode(resolve(c), ctx) } : {}),
  };
}
