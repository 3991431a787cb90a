// Owns the `distance` layer: one distance per example between two inputs of the same shape, as a
// (batch, 1) column so that a dense head can follow (e.g. a Siamese same/different head).
import * as tf from '@tensorflow/tfjs';
import { oneOf, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const METRICS = ['euclidean', 'cosine', 'manhattan'] as const;
export type DistanceMetric = (typeof METRICS)[number];

// sqrt is not differentiable at 0 (two identical embeddings): the sum is floored, as Keras's Siamese
// example does with K.maximum(sum_square, K.epsilon()).
const EPS = 1e-7;

/** d(a, b) over every non-batch axis: euclidean ‖a−b‖₂, manhattan ‖a−b‖₁, cosine 1 − a·b / (‖a‖‖b‖). */
export function pairDistance(metric: DistanceMetric, a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const flat = (t: tf.Tensor) => tf.reshape(t, [t.shape[0], -1]) as tf.Tensor2D;
    const x = flat(a);
    const y = flat(b);
    switch (metric) {
      case 'euclidean':
        return tf.sqrt(tf.maximum(tf.sum(tf.square(tf.sub(x, y)), 1, true), EPS)) as tf.Tensor2D;
      case 'manhattan':
        return tf.sum(tf.abs(tf.sub(x, y)), 1, true) as tf.Tensor2D;
      case 'cosine': {
        const dot = tf.sum(tf.mul(x, y), 1, true);
        const norms = tf.mul(tf.norm(x, 2, 1, true), tf.norm(y, 2, 1, true));
        return tf.sub(1, tf.div(dot, tf.maximum(norms, EPS))) as tf.Tensor2D;
      }
    }
  });
}

export class Distance extends tf.layers.Layer {
  static className = 'MtlDistance';
  readonly metric: DistanceMetric;

  constructor(args: { metric?: DistanceMetric; name?: string; trainable?: boolean }) {
    super(args);
    this.metric = args.metric ?? 'euclidean';
    if (!METRICS.includes(this.metric)) throw new Error(`unknown distance metric "${this.metric}" (allowed: ${METRICS.join(', ')})`);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = inputShape as tf.Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) throw new Error('distance takes exactly two inputs');
    const [a, b] = shapes;
    if (a.slice(1).join(',') !== b.slice(1).join(',')) {
      throw new Error(`distance needs two inputs of the same shape, received (${a.map((d) => d ?? '?').join(', ')}) and (${b.map((d) => d ?? '?').join(', ')})`);
    }
    return [a[0], 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const xs = inputs as tf.Tensor[];
    if (!Array.isArray(xs) || xs.length !== 2) throw new Error('distance takes exactly two inputs');
    return pairDistance(this.metric, xs[0], xs[1]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), metric: this.metric };
  }
}
tf.serialization.registerClass(Distance);

export const distanceLayer: LayerDescriptor = layer({
  type: 'distance',
  description: 'Distance between two inputs of the same shape, per example, as a (batch, 1) column (graph nodes)',
  options: opts({ metric: oneOf([...METRICS], { default: 'euclidean', description: 'euclidean ‖a−b‖₂, manhattan ‖a−b‖₁, or cosine 1 − cos(a, b)' }) }),
  create(a, ctx) {
    return new Distance({ name: ctx.name, metric: a.metric });
  },
});
