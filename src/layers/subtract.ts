// Owns the `subtract` merge layer: the first of two inputs minus the second. tfjs-layers 4.22 has no
// Subtract layer (Keras does), so this is a registered custom layer with the same semantics.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export class Subtract extends tf.layers.Layer {
  static className = 'MtlSubtract';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = inputShape as tf.Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) throw new Error('subtract takes exactly two inputs');
    const [a, b] = shapes;
    if (a.slice(1).join(',') !== b.slice(1).join(',')) {
      throw new Error(`subtract needs two inputs of the same shape, received (${a.map((d) => d ?? '?').join(', ')}) and (${b.map((d) => d ?? '?').join(', ')})`);
    }
    return [...a];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const xs = inputs as tf.Tensor[];
    if (!Array.isArray(xs) || xs.length !== 2) throw new Error('subtract takes exactly two inputs');
    return tf.sub(xs[0], xs[1]);
  }
}
tf.serialization.registerClass(Subtract);

export const subtractLayer: LayerDescriptor = layer({
  type: 'subtract',
  description: 'Merge (graph nodes): first input minus second, two inputs of the same shape',
  options: opts({}),
  create(_a, ctx) {
    return new Subtract({ name: ctx.name });
  },
});
