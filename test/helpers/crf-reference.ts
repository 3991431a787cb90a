// Test reference: the crf-nll of mtl before the fused op (src/layers/crf-ops.ts), recorded op by op
// so that tfjs autodiff gives its gradient. An independent implementation to compare the fused
// forward–backward against (values and gradients), not used by the library.
import * as tf from '@tensorflow/tfjs';

/**
 * Negative log-likelihood −log p(y | x) per sequence [b]: log Z − score(y), with log Z from the
 * forward recursion α_t(j) = E_t(j) + logsumexp_i(α_{t−1}(i) + A(i, j)). Padded tokens (mask 0,
 * expected after the real ones) carry α forward unchanged and contribute nothing to score(y).
 * Only one-hot, matMul, logSumExp and element-wise ops: every kernel exists on cpu and wasm.
 */
export function crfNllAutodiff(emissions: tf.Tensor, tags: tf.Tensor, mask: tf.Tensor2D, transitions: tf.Tensor2D, start: tf.Tensor1D, end: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, steps, n] = emissions.shape;
    const y = tf.oneHot(tf.reshape(tf.cast(tags, 'int32'), [b, steps]), n) as tf.Tensor3D; // padding (<0) → zeros
    const m3 = tf.expandDims(mask, 2);

    // score(y)
    const emit = tf.sum(tf.mul(tf.mul(y, emissions), m3), [1, 2]);
    const first = tf.sum(tf.mul(tf.slice(y, [0, 0, 0], [b, 1, n]), start), [1, 2]);
    let score = tf.add(emit, first);
    if (steps > 1) {
      const prev = tf.reshape(tf.slice(y, [0, 0, 0], [b, steps - 1, n]), [b * (steps - 1), n]);
      const next = tf.reshape(tf.slice(y, [0, 1, 0], [b, steps - 1, n]), [b * (steps - 1), n]);
      const trans = tf.reshape(tf.sum(tf.mul(tf.matMul(prev, transitions), next), 1), [b, steps - 1]);
      score = tf.add(score, tf.sum(tf.mul(trans, tf.slice(mask, [0, 1], [b, steps - 1])), 1));
    }
    // The last real token is where the mask drops from 1 to 0 (or the final step).
    const after = tf.concat([tf.slice(mask, [0, 1], [b, steps - 1]), tf.zeros([b, 1])], 1);
    const isLast = tf.mul(mask, tf.sub(1, after));
    score = tf.add(score, tf.sum(tf.mul(tf.mul(y, end), tf.expandDims(isLast, 2)), [1, 2]));

    // log Z
    let alpha = tf.add(tf.squeeze(tf.slice(emissions, [0, 0, 0], [b, 1, n]), [1]), start) as tf.Tensor2D;
    for (let t = 1; t < steps; t++) {
      const e = tf.squeeze(tf.slice(emissions, [0, t, 0], [b, 1, n]), [1]);
      const next = tf.add(tf.logSumExp(tf.add(tf.expandDims(alpha, 2), transitions), 1), e);
      const mt = tf.slice(mask, [0, t], [b, 1]);
      alpha = tf.add(tf.mul(mt, next), tf.mul(tf.sub(1, mt), alpha)) as tf.Tensor2D;
    }
    const logZ = tf.logSumExp(tf.add(alpha, end), 1);
    return tf.sub(logZ, score) as tf.Tensor1D;
  });
}

