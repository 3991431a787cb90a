// Owns what the loss descriptors share: Keras's epsilon, target reshaping, per-sample reduction and
// the categorical cross-entropy both categorical losses compute.
import * as tf from '@tensorflow/tfjs';
import { bool, list, num, opts } from '../util/options';
import { loss, type LossDescriptor } from './types';
import { probCrossEntropy, probXentComposite } from '../backend/wasm-xent';

/** Keras's backend epsilon: probabilities are clipped to [EPSILON, 1 - EPSILON]. */
export const EPSILON = 1e-7;

export const fromLogitsOption = bool({
  default: false,
  description: 'true: the head outputs logits (no softmax/sigmoid); false: it outputs probabilities (as in Keras)',
});

export const labelSmoothingOption = (how: string) =>
  num({
    minimum: 0,
    maximum: 1,
    default: 0,
    description: `Label smoothing factor: ${how}`,
  });

/** The options of the cross-entropies. */
export const crossEntropyOptions = (smoothing: string) => opts({ fromLogits: fromLogitsOption, labelSmoothing: labelSmoothingOption(smoothing) });

/** The categorical cross-entropies' options: those of every cross-entropy, and class weights. */
const categoricalOptions = (smoothing: string) =>
  opts({
    fromLogits: fromLogitsOption,
    labelSmoothing: labelSmoothingOption(smoothing),
    classWeights: list(num({ minimum: 0 }), {
      minItems: 2,
      description: 'One weight per class (as many as the head has units): each row, token or pixel loss is multiplied by the weight of its gold class (−Σ_c w_c·y_c·log p_c), then averaged over what is labelled, as Keras class_weight does. Default: all 1',
    }),
  });

/**
 * The loss of each prediction: one value per sample [batch] for a (batch, units) head; for a head with
 * more axes — (batch, steps, C) or a per-pixel (batch, h, w, C) — one per token or pixel (the mean over
 * the last axis only), so that masks and averaging count tokens and pixels.
 */
export function perPrediction(x: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  if (yPred.rank <= 2) return perSample(x);
  return x.rank === yPred.rank ? tf.mean(x, -1) : x;
}

/** Mean over every non-batch axis: one value per sample, shape [batch] (as Keras reduces). */
export function perSample(x: tf.Tensor): tf.Tensor1D {
  const batch = x.shape[0] ?? 0;
  if (x.rank === 1) return x as tf.Tensor1D;
  return tf.mean(tf.reshape(x, [batch, -1]), 1) as tf.Tensor1D;
}

/** A float target shaped like the prediction (targets arrive [batch] or [batch, k]). */
export function floatTargetLike(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const y = yTrue.dtype === 'float32' ? yTrue : tf.cast(yTrue, 'float32');
  return y.size === yPred.size && !tf.util.arraysEqual(y.shape, yPred.shape) ? tf.reshape(y, yPred.shape) : y;
}

/**
 * Class targets as a float [batch, C] distribution: int class indices ([batch] or [batch, 1]) are
 * one-hot encoded; a float [batch, C] target is taken as a one-hot/probability row as it is.
 */
export function classTarget(yTrue: tf.Tensor, numClasses: number, allowDistribution: boolean): tf.Tensor2D {
  if (allowDistribution && yTrue.dtype !== 'int32' && yTrue.rank === 2 && yTrue.shape[1] === numClasses && numClasses > 1) {
    return tf.cast(yTrue, 'float32') as tf.Tensor2D;
  }
  const idx = tf.cast(tf.reshape(yTrue, [-1]), 'int32') as tf.Tensor1D;
  return tf.oneHot(idx, numClasses).toFloat() as tf.Tensor2D;
}

/**
 * Categorical cross-entropy −Σ_c y_c·log p_c on the last axis, as Keras 3 computes it: label smoothing
 * y ← y(1−ε) + ε/C; from logits log p = logSoftmax(x); from probabilities p is renormalised to sum 1
 * and clipped to [1e-7, 1−1e-7]. One value per sample [batch], or per token [batch, steps] for a
 * rank-3 head.
 */
export function categoricalCrossentropy(target: tf.Tensor, yPred: tf.Tensor, fromLogits: boolean, labelSmoothing: number, classWeights?: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const numClasses = yPred.shape[yPred.rank - 1] as number;
    // Token-level and per-pixel targets arrive one-hot as [batch·steps, C] for a [batch, steps, C] head.
    let y = target.rank !== yPred.rank && target.size === yPred.size ? tf.reshape(target, yPred.shape) : target;
    if (labelSmoothing > 0) y = tf.add(tf.mul(y, 1 - labelSmoothing), labelSmoothing / numClasses);
    if (classWeights) {
      if (classWeights.length !== numClasses) throw new RangeError(`classWeights has ${classWeights.length} weights for a head of ${numClasses} classes`);
      y = tf.mul(y, tf.tensor1d(classWeights as number[], 'float32'));
    }
    // A [batch, steps, C] or [batch, h, w, C] head keeps one loss per token or pixel, for the masked mean.
    if (fromLogits) return tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(yPred, -1)), -1));
    // On wasm one kernel each way, the same numbers (backend/wasm-xent.ts); else these tf ops.
    return probCrossEntropy(y, yPred, EPSILON) ?? probXentComposite(y, yPred, EPSILON);
  });
}

export const numClassesOf = (yPred: tf.Tensor): number => yPred.shape[yPred.rank - 1] as number;

/**
 * The two categorical cross-entropies differ only in their targets: the sparse one takes class
 * indices alone; the dense one also accepts one-hot or probability rows.
 */
export function crossEntropyDescriptor(type: string, description: string, smoothing: string, acceptsDistributions: boolean): LossDescriptor {
  return loss({
    type,
    description,
    taskTypes: ['classification'],
    options: categoricalOptions(smoothing),
    fromLogits: (c) => c.fromLogits,
    create: (c) => (yTrue, yPred) => categoricalCrossentropy(classTarget(yTrue, numClassesOf(yPred), acceptsDistributions), yPred, c.fromLogits, c.labelSmoothing, c.classWeights),
  });
}
