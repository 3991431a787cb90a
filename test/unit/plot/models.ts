// Small hand-built functional models for the plot tests.
import * as tf from '@tensorflow/tfjs';

/** x[8,8,1] → conv → flatten → dense (shared) → left head (2 layers) and right head (1 layer). */
export function twoHeadModel(): { model: tf.LayersModel; groups: Record<string, string> } {
  const x = tf.input({ shape: [8, 8, 1], name: 'x' });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'shared_1_conv2d' }).apply(x) as tf.SymbolicTensor;
  const f = tf.layers.flatten({ name: 'shared_2_flatten' }).apply(c) as tf.SymbolicTensor;
  const d = tf.layers.dense({ units: 16, activation: 'relu', name: 'shared_3_dense' }).apply(f) as tf.SymbolicTensor;
  const l1 = tf.layers.dense({ units: 8, name: 'left__1_dense' }).apply(d) as tf.SymbolicTensor;
  const left = tf.layers.dense({ units: 1, name: 'left' }).apply(l1) as tf.SymbolicTensor;
  const right = tf.layers.dense({ units: 3, activation: 'softmax', name: 'right' }).apply(d) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: [left, right], name: 'two_heads' });
  const groups = {
    x: 'input',
    shared_1_conv2d: 'shared',
    shared_2_flatten: 'shared',
    shared_3_dense: 'shared',
    left__1_dense: 'left',
    left: 'left',
    right: 'right',
  };
  return { model, groups };
}

/**
 * Inputs a[4], b[4] → one dense layer applied to both (shared weights) → concatenate(da, db, da) → out.
 * The shared dense is also called on an input outside the model, which must not show up.
 */
export function twoInputModel(task = 'joint'): { model: tf.LayersModel; groups: Record<string, string> } {
  const a = tf.input({ shape: [4], name: 'a' });
  const b = tf.input({ shape: [4], name: 'b' });
  const stray = tf.input({ shape: [4], name: 'stray' });
  const dense = tf.layers.dense({ units: 3, name: 'shared_1_dense' });
  const da = dense.apply(a) as tf.SymbolicTensor;
  const db = dense.apply(b) as tf.SymbolicTensor;
  dense.apply(stray);
  const cat = tf.layers.concatenate({ name: 'shared_2_concat' }).apply([da, db, da]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'out' }).apply(cat) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [a, b], outputs: out, name: 'two_inputs' });
  // Inputs deliberately left out of the map: InputLayers default to 'input', the rest to 'shared'.
  return { model, groups: { shared_1_dense: 'shared', out: task } };
}
