// Owns the fused recurrent ops' path on mtl's SIMD kernels (src/backend/simd/rnn.c), taken on the
// wasm backend: each direction's whole sequence, forwards and by backpropagation through time, is one
// kernel call on tensors where they lie on tfjs's heap, and so are the weight gradients. The JS path
// (fused-lstm.ts, fused-gru.ts) made ~64 backend calls per layer and step, each ~20 µs of engine and
// packing around a product of a few µs, and ran its gate arithmetic element by element; it stays for
// the other backends. Same equations, layouts and saved values as that path (its files say which).
import * as tf from '@tensorflow/tfjs';
import { heapOffset, type SimdHeap } from '../backend/wasm-simd';
import { release } from '../backend/wasm-ops';

/** One direction's problem, as fused-rnn.ts gives it. */
export interface SimdProblem {
  kind: 'lstm' | 'gru';
  b: number;
  T: number;
  D: number;
  U: number;
  goBackwards: boolean;
  /** tfjs class names of the activation and the recurrent activation. */
  act: string;
  rec: string;
  /** Padding mask [b, T] time order, and recurrent dropout mask [b, U] (0 or 1/(1 − rate)), or null. */
  mask: Float32Array | null;
  recMask: Float32Array | null;
}

const CODE: Record<string, number> = { linear: 0, tanh: 1, sigmoid: 2, hardSigmoid: 3, relu: 4 };

/** A float32 tensor on the heap, left uninitialised: a kernel writes every element. */
function alloc(h: SimdHeap, shape: number[]): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(h.backend.makeOutput(shape, 'float32'));
}

/** Byte address of a tensor's element `floats` on the heap (0 for none: the kernels' null). */
const at = (h: SimdHeap, t: tf.Tensor | null, floats = 0): number => (t ? heapOffset(h.backend, t) + 4 * floats : 0);

/** Runs f with `floats` of scratch on the heap, freed afterwards. */
function withScratch<T>(h: SimdHeap, floats: number, f: (work: number) => T): T {
  const info = h.backend.makeOutput([Math.max(1, floats)], 'float32');
  try {
    return f(heapOffset(h.backend, info));
  } finally {
    release(h.backend, info);
  }
}

/** The padding and recurrent dropout masks on the heap (the caller disposes them). */
function maskTensors(p: SimdProblem): [tf.Tensor | null, tf.Tensor | null] {
  return [p.mask ? tf.tensor2d(p.mask, [p.b, p.T]) : null, p.recMask ? tf.tensor2d(p.recMask, [p.b, p.U]) : null];
}

const gateCount = (p: SimdProblem) => (p.kind === 'lstm' ? 4 : 3);

/** Forward sweep: activates `gates` (x·W + b) in place; returns y [b, T, U] and the saved states. */
function forward(h: SimdHeap, p: SimdProblem, gates: tf.Tensor, Ur: tf.Tensor): { y: tf.Tensor; states: tf.Tensor[] } {
  const { b, T, U } = p;
  const y = alloc(h, [b, T, U]);
  const states = Array.from({ length: p.kind === 'lstm' ? 3 : 2 }, () => alloc(h, [b * T, U]));
  const [mask, rmask] = maskTensors(p);
  const head = [b, T, U, p.goBackwards ? 1 : 0, CODE[p.act], CODE[p.rec], at(h, gates), at(h, Ur), at(h, mask), at(h, rmask), at(h, y)] as const;
  withScratch(h, 2 * b * U, (work) => {
    const [s0, s1, s2] = states.map((s) => at(h, s));
    if (p.kind === 'lstm') h.k.lstm_forward(...head, s0, s1, s2, work);
    else h.k.gru_forward(...head, s0, s1, work);
  });
  tf.dispose([mask, rmask].filter((m): m is tf.Tensor => m !== null));
  return { y, states };
}

/** Backward sweep: dZ [b·T, G·U] (pre-activation gradients, time order) from dy. */
function backwardSweep(h: SimdHeap, p: SimdProblem, dy: tf.Tensor, gates: tf.Tensor, Ur: tf.Tensor, states: tf.Tensor[]): tf.Tensor {
  const { b, T, U } = p;
  const G = gateCount(p) * U;
  const dZ = alloc(h, [b * T, G]);
  const [mask, rmask] = maskTensors(p);
  const head = [b, T, U, p.goBackwards ? 1 : 0, CODE[p.act], CODE[p.rec], at(h, gates), at(h, Ur), at(h, mask), at(h, rmask)] as const;
  withScratch(h, 3 * b * U + G * U, (work) => {
    if (p.kind === 'lstm') h.k.lstm_backward(...head, at(h, states[0]), at(h, states[1]), at(h, dy), at(h, dZ), work);
    else h.k.gru_backward(...head, at(h, states[0]), at(h, dy), at(h, dZ), work);
  });
  tf.dispose([mask, rmask].filter((m): m is tf.Tensor => m !== null));
  return dZ;
}

/**
 * Gradients from dZ [n, G]: ∂x = dZ·Wᵀ, ∂W = xᵀ·dZ, ∂U = h̃ᵀ·dZ (gru: h̃ᵀ·dZ_zr beside (r ⊙ h̃)ᵀ·dZ_h),
 * ∂b = Σ_rows dZ. x2 is the (dropped-out) input [n, D].
 */
function weightGrads(h: SimdHeap, p: SimdProblem, dZ: tf.Tensor, x2: tf.Tensor, W: tf.Tensor, states: tf.Tensor[]): tf.Tensor[] {
  const { D, U } = p;
  const n = p.b * p.T;
  const G = gateCount(p) * U;
  const [dx, dW, dU, db] = [alloc(h, [n, D]), alloc(h, [D, G]), alloc(h, [U, G]), alloc(h, [G])];
  const k = h.k;
  withScratch(h, G * D, (wt) => {
    k.rnn_transpose(D, G, at(h, W), wt);
    k.rnn_gemm(n, D, G, at(h, dZ), G, 0, wt, D, at(h, dx), D, 0);
  });
  k.rnn_gemm(D, G, n, at(h, x2), D, 1, at(h, dZ), G, at(h, dW), G, 0);
  if (p.kind === 'lstm') k.rnn_gemm(U, G, n, at(h, states[2]), U, 1, at(h, dZ), G, at(h, dU), G, 0);
  else {
    k.rnn_gemm(U, 2 * U, n, at(h, states[0]), U, 1, at(h, dZ), G, at(h, dU), G, 0);
    k.rnn_gemm(U, U, n, at(h, states[1]), U, 1, at(h, dZ, 2 * U), G, at(h, dU, 2 * U), G, 0);
  }
  k.rnn_col_sums(n, G, at(h, dZ), at(h, db));
  return [dx, dW, dU, db];
}

/**
 * The direction as one op of (x [b, T, D], kernel, recurrent kernel[, bias]) → y [b, T, U] in
 * processing order; dropX multiplies x by its dropout mask (identity without one).
 */
export function simdSequence(h: SimdHeap, p: SimdProblem, useBias: boolean, dropX: (x: tf.Tensor) => tf.Tensor): (...inputs: tf.Tensor[]) => tf.Tensor3D {
  const n = p.b * p.T;
  const op = tf.customGrad((...args: unknown[]) => {
    const [xs, W, Ur] = args as tf.Tensor[];
    const bias = useBias ? (args[3] as tf.Tensor) : undefined;
    const gates = tf.fused.matMul({ a: tf.reshape(dropX(xs), [n, p.D]) as tf.Tensor2D, b: W as tf.Tensor2D, bias });
    const { y, states } = forward(h, p, gates, Ur);
    // Inner tidies may dispose x before the backward pass: tfjs keeps only what is saved.
    (args[args.length - 1] as tf.GradSaveFunc)([xs, W, Ur, gates, ...states]);
    return {
      value: y as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [x, W2, Ur2, g, ...st] = saved;
        const dZ = backwardSweep(h, p, dy, g, Ur2, st);
        const [dx, dW, dU, db] = weightGrads(h, p, dZ, tf.reshape(dropX(x), [n, p.D]), W2, st);
        const grads = [dropX(tf.reshape(dx, [p.b, p.T, p.D])), dW, dU];
        return useBias ? [...grads, db] : grads;
      },
    };
  });
  return (...inputs: tf.Tensor[]) => op(...inputs) as tf.Tensor3D;
}
