// Owns running a batchNormalization layer's training call as one kernel on wasm (wasm-batchnorm.ts:
// batch statistics, normalise, scale and shift forward; one kernel backward), where tfjs-layers runs
// moments and FusedBatchNorm as ~30 kernels with their gradients. The moving mean and variance are
// updated as tfjs-layers updates them, θ ← θ − (θ − batch value)·(1 − momentum), each operation
// rounded to float32 as its kernels round it, in JS on the heap (a handful of values per layer).
//
// Only the instance's call() changes: class, config and weights are tfjs's own, so saved models
// load with stock tf.loadLayersModel. Inference, other backends, and cases not covered (a features
// axis other than the last, center or scale off) keep tfjs's call.
import * as tf from '@tensorflow/tfjs';
import { BN_TRAIN, registerBatchNormKernels } from '../backend/wasm-batchnorm';
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
function trainCall(l: BnFields, inputs: tf.Tensor | tf.Tensor[], training: boolean | undefined): tf.Tensor | null {
  const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
  if (!training || !x || x.dtype !== 'float32' || !l.gamma || !l.beta || x.rank < 2) return null;
  if ((l.axis < 0 ? l.axis + x.rank : l.axis) !== x.rank - 1) return null;
  const [scale, offset] = [l.gamma.read(), l.beta.read()];
  if (!simdHeap(x, scale, offset, l.movingMean.read(), l.movingVariance.read())?.k.bn_train_forward) return null;
  registerBatchNormKernels();
  const attrs = { varianceEpsilon: l.epsilon };
  const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x, scale, offset }, attrs) as tf.Tensor[];
  movingAverage(l.movingMean, mean, l.momentum);
  movingAverage(l.movingVariance, variance, l.momentum);
  return y;
}

/** The layer (a tfjs BatchNormalization), its training call one kernel where trainCall covers it. */
export function oneKernelBatchNorm<L extends tf.layers.Layer>(layer: L): L {
  const l = layer as unknown as BnFields;
  const stock = l.call.bind(layer);
  l.call = (inputs, kwargs) => tf.tidy(() => trainCall(l, inputs, kwargs?.training) ?? stock(inputs, kwargs));
  return layer;
}
