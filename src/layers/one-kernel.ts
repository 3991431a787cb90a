// Owns running a conv2d or dense layer's forward pass as one kernel while training on wasm: conv or
// product, + bias, relu (FusedConv2D / _FusedMatMul on mtl's SIMD kernels), with its own gradient.
// tfjs's fused ops fall back to three kernels (Conv2D or MatMul, Add, Relu) whenever a gradient is
// recorded, and their backward passes then take Step, Multiply and Sum; with linear activation they
// stay fused but compute every input's gradient, the image's below a stem included. Here the kernel's
// gradient (registered once) takes one pass for dz = dy·step(y) and db = Σ dz (elementwise.c) and
// computes each input's gradient only when the tape asks for it. Same arithmetic in the same order
// as the three kernels: the numbers are the same bit for bit. The Relu kernel's gradient (an
// activation layer's) is registered with them, as the same one pass.
//
// Only the instance's call() changes: class, config and weights are tfjs's own, so saved models
// load with stock tf.loadLayersModel. Other backends, and cases not covered, keep tfjs's call.
import * as tf from '@tensorflow/tfjs';
import { biasReluGrad, markReluOutput } from '../backend/wasm-elementwise';
import { simdKernels } from '../backend/wasm-simd';

/** The fields of tfjs-layers' Conv2D and Dense that the fused call reads. */
interface LayerFields {
  kernel: { read(): tf.Tensor };
  bias?: { read(): tf.Tensor } | null;
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
  rank?: number;
  strides?: number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: object): tf.Tensor | tf.Tensor[];
}

type Saved = tf.Tensor[];

/** dz and db of the fused activation (dy and a sum when linear) on mtl's kernel or tf ops. */
function activationGrads(dy: tf.Tensor, y: tf.Tensor, activation: string, withBias: boolean): { dz: tf.Tensor; db: tf.Tensor | null } {
  if (activation !== 'linear' && activation !== 'relu') throw new Error(`one-kernel gradient: activation ${activation} is not covered`);
  const relu = activation === 'relu';
  const fast = biasReluGrad(dy, y, relu, withBias);
  if (fast) return fast;
  const dz = relu ? tf.mul(dy, tf.step(y)) : dy;
  return { dz, db: withBias ? tf.sum(dz, [...Array(dz.rank - 1).keys()]) : null };
}

function registerGradients(): void {
  // Relu (activation layers, e.g. after a batch norm): tfjs's gradient dy·step(x) as one pass.
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as Saved;
      const fast = x.dtype === 'float32' ? biasReluGrad(dy as tf.Tensor, x, true, false) : null;
      return { x: () => fast?.dz ?? tf.mul(dy as tf.Tensor, tf.step(tf.cast(x, 'float32'))) };
    },
  });
  tf.registerGradient({
    kernelName: tf.FusedConv2D,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as Saved;
      const a = attrs as unknown as tf.FusedConv2DAttrs;
      const { dz, db } = activationGrads(dy as tf.Tensor, y, a.activation ?? 'linear', true);
      const conv = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat, dimRoundingMode: a.dimRoundingMode };
      return {
        x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dz, filter }, { ...conv, inputShape: x.shape }) as tf.Tensor,
        filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dz }, { ...conv, filterShape: filter.shape }) as tf.Tensor,
        bias: () => db!,
      };
    },
  });
  tf.registerGradient({
    kernelName: tf._FusedMatMul,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [a, b, y] = saved as Saved;
      const { dz, db } = activationGrads(dy as tf.Tensor, y, (attrs as { activation?: string }).activation ?? 'linear', true);
      return {
        a: () => tf.matMul(dz, b, false, true),
        b: () => tf.matMul(a, dz, true, false),
        bias: () => db!,
      };
    },
  });
}

let registered = false;

/** The layer's output by one fused kernel, or null when this case keeps tfjs's call. */
function fusedCall(l: LayerFields, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
  if (!x || x.dtype !== 'float32' || tf.getBackend() !== 'wasm' || !simdKernels()) return null;
  const act = l.activation.getClassName();
  const fused = act === 'relu' || act === 'linear' ? act : 'linear';
  const bias = l.bias ? l.bias.read() : undefined;
  if (!registered) registerGradients(), (registered = true);
  let y: tf.Tensor;
  if (l.rank === 2) {
    if (x.rank !== 4 || l.dataFormat !== 'channelsLast' || l.padding === 'causal' || l.dilationRate!.some((d) => d !== 1)) return null;
    const attrs = { strides: l.strides, pad: l.padding, dataFormat: 'NHWC', dilations: [1, 1], activation: fused };
    y = tf.engine().runKernel(tf.FusedConv2D, { x, filter: l.kernel.read(), ...(bias ? { bias } : {}) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  } else if (l.rank === undefined) {
    if (x.rank < 2) return null;
    const attrs = { transposeA: false, transposeB: false, activation: fused };
    // x [m, k] and the kernel [k, n] as they are (wasm-matmul.ts takes rank-2 operands; no reshapes on the
    // tape, where tf.fused.matMul adds three each way); the leading axes of x (a sequence's [batch, time]) are its m rows.
    const b = l.kernel.read();
    const k = x.shape[x.rank - 1];
    const a = x.rank === 2 ? x : x.reshape([x.size / k, k]);
    y = tf.engine().runKernel(tf._FusedMatMul, { a, b, ...(bias ? { bias } : {}) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    if (x.rank !== 2) y = y.reshape([...x.shape.slice(0, -1), b.shape[1]!]);
  } else return null;
  if (fused === 'relu') markReluOutput(y);
  return fused === act ? y : l.activation.apply(y);
}

/**
 * The layer (a tfjs Conv2D or Dense), its call() running as one kernel where fusedCall covers it.
 * Its gradient is registered on first use.
 */
export function oneKernel<L extends tf.layers.Layer>(layer: L): L {
  const l = layer as unknown as LayerFields;
  const stock = l.call.bind(layer);
  l.call = (inputs, kwargs) => tf.tidy(() => fusedCall(l, inputs as tf.Tensor | tf.Tensor[]) ?? stock(inputs, kwargs));
  return layer;
}
