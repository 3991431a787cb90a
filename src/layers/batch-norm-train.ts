// Owns running a batchNormalization layer's training call as one kernel on wasm (wasm-batchnorm.ts:
// batch statistics, normalise, scale and shift forward; one kernel backward), where tfjs-layers runs
// moments and FusedBatchNorm as ~30 kernels with their gradients. The moving mean and variance are
// updated as tfjs-layers updates them, θ ← θ − (θ − batch value)·(1 − momentum), each operation
// rounded to float32 as its kernels round it, in JS on the heap (a handful of values per layer).
//
// With relu, the kernel also applies the relu that the model's next layer (a relu activation, wrapped
// by reluOnce) applies: that layer then passes the already non-negative data through (relu is
// idempotent: same values; its gradient's mask is the kernel's own). The saved model keeps both
// layers, so inference — tfjs's call — applies the relu in its own layer as before.
//
// Only the instance's call() changes: class, config and weights are tfjs's own, so saved models
// load with stock tf.loadLayersModel. Inference, other backends, and cases not covered (a features
// axis other than the last, center or scale off) keep tfjs's call.
import * as tf from '@tensorflow/tfjs';
import { BN_TRAIN, registerBatchNormKernels } from '../backend/wasm-batchnorm';
import { isReluOutput, markReluOutput } from '../backend/wasm-elementwise';
import { heapF32, type Info } from '../backend/wasm-ops';
import { simdHeap } from '../backend/wasm-simd';

interface LayerVar {
  read(): tf.Tensor;
  write(v: tf.Tensor): void;
}

/** The fields of tfjs-layers' BatchNormalization that the call reads. */
interface BnFields {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: LayerVar | null;
  beta: LayerVar | null;
  movingMean: LayerVar;
  movingVariance: LayerVar;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[];
}

/** v ← v − (v − value)·decay, rounded as tfjs's Sub, Mul, Sub round it. */
function movingAverage(v: LayerVar, value: tf.Tensor, momentum: number): void {
  const heap = simdHeap(value)!;
  const old = v.read();
  const [o, b] = [heapF32(heap.backend, old as unknown as Info), heapF32(heap.backend, value as unknown as Info)];
  const f = Math.fround;
  const decay = f(1 - momentum);
  const next = new Float32Array(o.length);
  for (let i = 0; i < o.length; i++) next[i] = f(o[i] - f(f(o[i] - b[i]) * decay));
  v.write(tf.tensor(next, old.shape, 'float32'));
}

/** The training output by one kernel, or null when this case keeps tfjs's call. */
function trainCall(l: BnFields, inputs: tf.Tensor | tf.Tensor[], training: boolean | undefined, relu: boolean): tf.Tensor | null {
  const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
  if (!training || !x || x.dtype !== 'float32' || !l.gamma || !l.beta || x.rank < 2) return null;
  if ((l.axis < 0 ? l.axis + x.rank : l.axis) !== x.rank - 1) return null;
  const [scale, offset] = [l.gamma.read(), l.beta.read()];
  if (!simdHeap(x, scale, offset, l.movingMean.read(), l.movingVariance.read())?.k.bn_train_forward) return null;
  registerBatchNormKernels();
  const attrs = { varianceEpsilon: l.epsilon, relu };
  const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x, scale, offset }, attrs) as tf.Tensor[];
  if (relu) markReluOutput(y);
  movingAverage(l.movingMean, mean, l.momentum);
  movingAverage(l.movingVariance, variance, l.momentum);
  return y;
}

/**
 * The layer (a tfjs BatchNormalization), its training call one kernel where trainCall covers it;
 * with relu, that kernel's output is already relu'd (only for a layer whose one consumer is a relu
 * layer wrapped by reluOnce).
 */
export function oneKernelBatchNorm<L extends tf.layers.Layer>(layer: L, relu = false): L {
  const l = layer as unknown as BnFields;
  const stock = l.call.bind(layer);
  l.call = (inputs, kwargs) => tf.tidy(() => trainCall(l, inputs, kwargs?.training, relu) ?? stock(inputs, kwargs));
  return layer;
}

/**
 * A relu activation layer that, in training, passes a relu's output (isReluOutput: max(·, 0)
 * already) through. Not in inference: tfjs-layers' executor then disposes each intermediate after
 * its last use, which would take the input away from under the same tensor as output.
 */
export function reluOnce<L extends tf.layers.Layer>(layer: L): L {
  const l = layer as unknown as BnFields;
  const stock = l.call.bind(layer);
  l.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
    return kwargs?.training && x && isReluOutput(x) ? x : stock(inputs, kwargs);
  };
  return layer;
}
