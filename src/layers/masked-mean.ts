// Owns the `maskedMean` layer: the mean of a list's embedding vectors over its real ids only — how
// recommender models pool a multi-valued categorical field (a film's genres, a user's watched items:
// YouTube's candidate model averages "a bag of sparse video IDs", Covington et al. 2016,
// doi:10.1145/2959100.2959190). Padding (id 0) is left out of the sum and the count.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

/**
 * y_b = Σ_l m_bl e_bl / max(1, Σ_l m_bl), m_bl = [id_bl ≠ 0]: embeddings e (batch, steps, channels) and
 * ids (batch, steps). A row with no id (all padding) gives zeros, not the padding vector.
 */
export function maskedMean(embeddings: tf.Tensor, ids: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const m = tf.cast(tf.notEqual(ids, 0), 'float32');
    const sum = tf.sum(tf.mul(embeddings, tf.expandDims(m, -1)), 1);
    return tf.div(sum, tf.maximum(tf.sum(m, 1, true), 1)) as tf.Tensor2D;
  });
}

export class MaskedMean extends tf.layers.Layer {
  static className = 'MtlMaskedMean';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = inputShape as tf.Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) throw new Error('maskedMean takes two inputs: embeddings (batch, steps, channels) and their ids (batch, steps)');
    const [e, ids] = shapes;
    if (e.length !== 3 || ids.length !== 2 || e[1] !== ids[1]) {
      throw new Error(`maskedMean needs embeddings (batch, steps, channels) and ids (batch, steps) with the same steps, received (${e.map((d) => d ?? '?').join(', ')}) and (${ids.map((d) => d ?? '?').join(', ')})`);
    }
    return [e[0], e[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const xs = inputs as tf.Tensor[];
    if (!Array.isArray(xs) || xs.length !== 2) throw new Error('maskedMean takes two inputs: embeddings and their ids');
    return maskedMean(xs[0], xs[1]);
  }
}
tf.serialization.registerClass(MaskedMean);

export const maskedMeanLayer: LayerDescriptor = layer({
  type: 'maskedMean',
  description: 'Mean of embeddings (batch, steps, channels) over the steps whose id (second input, (batch, steps)) is not 0; a row of padding only gives zeros (graph nodes; the features block uses it for list inputs)',
  options: opts({}),
  create(_a, ctx) {
    return new MaskedMean({ name: ctx.name });
  },
});
