// Owns masked averaging of per-sample or per-token losses: what the train step and evaluation call a
// task's batch loss (the mean over what is labelled).
import * as tf from '@tensorflow/tfjs';

/**
 * Mean of per-sample [b], per-token [b, steps] or per-pixel [b, h, w] losses over what is labelled (mask 1), or over
 * everything without a mask: a token-level task's loss is the mean over its non-padded tokens. A
 * per-row mask [b] against per-token losses drops whole rows; a per-token mask against per-sample
 * losses (a sequence-level loss such as a CRF likelihood) keeps the rows with any labelled token.
 */
export function maskedMean(losses: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  if (!mask) return tf.mean(losses);
  let m = mask;
  const rows = mask.shape[0];
  if (m.rank > losses.rank) m = tf.max(tf.reshape(m, [rows, -1]), 1);
  else if (m.rank < losses.rank) m = tf.mul(tf.onesLike(losses), tf.reshape(m, [rows, ...new Array<number>(losses.rank - 1).fill(1)]));
  return tf.div(tf.sum(tf.mul(losses, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
}
