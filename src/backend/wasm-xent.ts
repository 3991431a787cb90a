// Owns the backward pass of a softmax head on the WASM backend: its categorical cross-entropy as one
// kernel each way, and the softmax's gradient as one kernel. The cross-entropy:
//   loss[r] = −Σ_c y[r,c]·log(clip(p[r,c] / Σ_c' p[r,c'], ε, 1 − ε))        (Keras's, losses/common.ts)
// tfjs runs it as seven kernels forward (Sum, RealDiv, ClipByValue, Log, Multiply, Sum, Neg) and about
// twenty backward (Tile, Multiply, RealDiv, GreaterEqual, LessEqual, LogicalAnd, ZerosLike, Select,
// Square, Add, …), each a tape entry and a kernel call on a [batch, C] tensor: ~0.5 ms of engine work
// per head and step, about as much as the head's products. Here the forward pass is one pass in JS over
// the heap views with tfjs's own Log kernel for the logarithm (its logf is not JS's Math.log rounded),
// and the gradient one pass, with the same float32 operations in the same order as tfjs's kernels (every
// product, quotient and sum rounded to float32, row sums from the first class on, as tfjs's Sum adds),
// so the numbers are the composite's bit for bit. The gradient:
//   s = Σ_c p_c,  q = p / s,  g = −dy·y / clip(q)  where ε ≤ q ≤ 1 − ε, else 0,
//   ∂/∂p_c = g_c / s − (Σ_c' g_c'·p_c') / s²      (tfjs's RealDiv gradient: its two terms, then added)
// The softmax's gradient, tfjs's four kernels (Multiply, Sum, a broadcast Multiply, Sub) as one pass:
//   ∂/∂z_c = dy_c·y_c − (Σ_c' dy_c'·y_c')·y_c    (y the softmax's output; each product rounded first)
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND, heapF32, release, run, type Info, type KernelArgs } from './wasm-ops';

export const PROB_XENT = 'MtlProbCrossEntropy';
export const PROB_XENT_GRAD = 'MtlProbCrossEntropyGrad';
export const SOFTMAX_GRAD = 'MtlSoftmaxGrad';

const f = Math.fround;

interface XentAttrs {
  epsilon: number;
}

/** tfjs's ClipByValue on wasm, value by value: NaN becomes the lower bound (as its clamp gives it). */
const clip = (q: number, lo: number, hi: number): number => (q > lo ? (q < hi ? q : hi) : lo);

/** Σ_c p[r, c] in float32, from the first class on (tfjs's Sum over the last axis). */
function rowSum(p: Float32Array, at: number, C: number): number {
  let s = 0;
  for (let c = 0; c < C; c++) s = f(s + p[at + c]);
  return s;
}

/** The forward kernel: inputs y (target) and p (probabilities), both [..., C]; output [...]. */
function probXent(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { y, p } = args.inputs as { y: Info; p: Info };
  const { epsilon } = args.attrs as unknown as XentAttrs;
  const [lo, hi] = [f(epsilon), f(1 - epsilon)];
  const C = p.shape[p.shape.length - 1];
  const clipped = backend.makeOutput(p.shape, 'float32');
  const [pv, cv] = [heapF32(backend, p), heapF32(backend, clipped)];
  for (let at = 0; at < pv.length; at += C) {
    const s = rowSum(pv, at, C);
    for (let c = 0; c < C; c++) cv[at + c] = clip(f(pv[at + c] / s), lo, hi);
  }
  const logs = run(backend, 'Log', { x: clipped });
  release(backend, clipped);
  const out = backend.makeOutput(p.shape.slice(0, -1), 'float32');
  const [yv, lv, ov] = [heapF32(backend, y), heapF32(backend, logs), heapF32(backend, out)];
  for (let r = 0, at = 0; at < lv.length; r++, at += C) {
    let t = 0;
    for (let c = 0; c < C; c++) t = f(t + f(yv[at + c] * lv[at + c]));
    ov[r] = -t;
  }
  release(backend, logs);
  return out;
}

/** The gradient kernel: ∂(Σ_r dy[r]·loss[r])/∂p for inputs dy [...], y and p [..., C] (see the header). */
function probXentGrad(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { dy, y, p } = args.inputs as { dy: Info; y: Info; p: Info };
  const { epsilon } = args.attrs as unknown as XentAttrs;
  const [lo, hi] = [f(epsilon), f(1 - epsilon)];
  const C = p.shape[p.shape.length - 1];
  const out = backend.makeOutput(p.shape, 'float32');
  const [dv, yv, pv, ov] = [heapF32(backend, dy), heapF32(backend, y), heapF32(backend, p), heapF32(backend, out)];
  for (let r = 0, at = 0; at < pv.length; r++, at += C) {
    const s = rowSum(pv, at, C);
    const dt = -dv[r];
    // ov first holds g (the clip's gradient), then the result; u = Σ g·p.
    let u = 0;
    for (let c = 0; c < C; c++) {
      const q = f(pv[at + c] / s);
      const g = q >= lo && q <= hi ? f(f(dt * yv[at + c]) / clip(q, lo, hi)) : 0;
      ov[at + c] = g;
      u = f(u + f(g * pv[at + c]));
    }
    const ds = -f(u / f(s * s));
    for (let c = 0; c < C; c++) ov[at + c] = f(f(ov[at + c] / s) + ds);
  }
  return out;
}

/** The softmax's gradient kernel over the last axis: inputs dy and y (the softmax's output), same shape. */
function softmaxGrad(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { dy, y } = args.inputs as { dy: Info; y: Info };
  const C = y.shape[y.shape.length - 1];
  const out = backend.makeOutput(y.shape, 'float32');
  const [dv, yv, ov] = [heapF32(backend, dy), heapF32(backend, y), heapF32(backend, out)];
  for (let at = 0; at < yv.length; at += C) {
    let s = 0;
    for (let c = 0; c < C; c++) s = f(s + (ov[at + c] = f(dv[at + c] * yv[at + c])));
    for (let c = 0; c < C; c++) ov[at + c] = f(ov[at + c] - f(s * yv[at + c]));
  }
  return out;
}

export const XENT_KERNELS: tf.KernelConfig[] = [
  { kernelName: SOFTMAX_GRAD, backendName: BACKEND, kernelFunc: softmaxGrad as tf.KernelFunc },
  { kernelName: PROB_XENT, backendName: BACKEND, kernelFunc: probXent as tf.KernelFunc },
  { kernelName: PROB_XENT_GRAD, backendName: BACKEND, kernelFunc: probXentGrad as tf.KernelFunc },
];

/** The same loss as tfjs ops (any backend; the reference the kernels follow). */
export function probXentComposite(y: tf.Tensor, p: tf.Tensor, epsilon: number): tf.Tensor {
  const q = tf.div(p, tf.sum(p, -1, true));
  return tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(q, epsilon, 1 - epsilon))), -1));
}

export const XENT_GRADIENT: tf.GradConfig = {
  kernelName: PROB_XENT,
  inputsToSave: ['y', 'p'],
  gradFunc: (dy, saved, attrs) => {
    const [y, p] = saved;
    const { epsilon } = attrs as unknown as XentAttrs;
    return {
      p: () => tf.engine().runKernel(PROB_XENT_GRAD, { dy: dy as tf.Tensor, y, p }, { epsilon }) as tf.Tensor,
      // Targets hardly ever depend on variables; when they do: −dy·log(clip(p / Σp)), with tf ops.
      y: () => tf.mul(tf.expandDims(tf.neg(dy as tf.Tensor), -1), tf.log(tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), epsilon, 1 - epsilon))),
    };
  },
};

/** Softmax's gradient (registered for every backend, as tfjs's is): the kernel on wasm over the last axis, else tfjs's ops. */
export const SOFTMAX_GRADIENT: tf.GradConfig = {
  kernelName: tf.Softmax,
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [y] = saved;
    const d = dy as tf.Tensor;
    const dim = (attrs as unknown as tf.SoftmaxAttrs).dim;
    const last = dim === -1 || dim === y.rank - 1;
    if (last && tf.getBackend() === BACKEND && tf.getKernel(SOFTMAX_GRAD, BACKEND) && y.dtype === 'float32' && d.dtype === 'float32' && y.size > 0) {
      return { logits: () => tf.engine().runKernel(SOFTMAX_GRAD, { dy: d, y }) as tf.Tensor };
    }
    const dyTimesY = tf.mul(d, y);
    return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
  },
};

/**
 * −Σ_c y·log(clip(p / Σp, ε, 1 − ε)) over the last axis as one kernel (forward and gradient) on wasm;
 * null elsewhere, or when y and p differ in shape or are not float32 (the caller composes tf ops).
 */
export function probCrossEntropy(y: tf.Tensor, p: tf.Tensor, epsilon: number): tf.Tensor | null {
  if (tf.getBackend() !== BACKEND || !tf.getKernel(PROB_XENT, BACKEND) || p.rank < 1 || y.dtype !== 'float32' || p.dtype !== 'float32') return null;
  if (!tf.util.arraysEqual(y.shape, p.shape) || p.size === 0) return null;
  return tf.engine().runKernel(PROB_XENT, { y, p }, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor;
}
