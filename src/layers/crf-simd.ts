// Owns the WASM path of the CRF: the fused NLL op's forward algorithm and backward sweep and Viterbi
// decoding run as mtl's SIMD kernels (src/backend/simd/crf.c) on the tensors where they lie on
// tfjs-backend-wasm's heap; src/layers/crf-ops.ts and crf.ts call them when the kernels are loaded
// (simdKernels) and keep their JS loops for the other backends. Same algorithm and cost model as
// crf-ops.ts' header; the K² products, exp and log in float32 SIMD (4 tags per instruction), the
// per-tag log-space state in float64.
import * as tf from '@tensorflow/tfjs';
import { heapView, release, type Info } from '../backend/wasm-ops';
import { heapOffset, simdHeap, type SimdHeap } from '../backend/wasm-simd';

const padded = (K: number) => (K + 3) & ~3;

/** A float32 tensor's values: on the wasm heap where they lie (read them before any allocation), else a copy. */
export function valuesOf(t: tf.Tensor): ArrayLike<number> {
  const w = t.dtype === 'float32' ? simdHeap(t) : null;
  return w ? heapView(w.backend, t as unknown as Info) : t.dataSync();
}

type NllResult = { value: tf.Tensor1D; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/**
 * The NLL op's body on wasm (inside tf.customGrad's forward, whose tidy disposes the casts): crf_forward
 * writes NLL [b] and the float64 state (α [b, T, K], log Z [b]) that `save` keeps for crf_backward.
 */
export function crfNllWasm(w: SimdHeap, e: tf.Tensor, a: tf.Tensor, st: tf.Tensor, en: tf.Tensor, y: tf.Tensor, m: tf.Tensor, save: tf.GradSaveFunc): NllResult {
  const { k, backend } = w;
  const [b, T, K] = e.shape;
  const Kp = padded(K);
  const tags = y.dtype === 'int32' ? y : tf.cast(y, 'int32');
  const mask = m.dtype === 'float32' ? m : tf.cast(m, 'float32');
  const p = (x: tf.Tensor | Info) => heapOffset(backend, x as Info);
  const nll = backend.makeOutput([b], 'float32');
  const state = backend.makeOutput([2 * (b * T * K + b)], 'float32'); // float64 numbers
  const work = backend.makeOutput([K * Kp + 3 * Kp], 'float32');
  k.crf_forward(b, T, K, p(e), p(a), p(st), p(en), p(tags), p(mask), p(nll), p(state), p(work));
  release(backend, work);
  save([e, a, en, tags, mask, tf.engine().makeTensorFromTensorInfo(state)]);
  const [yShape, yType, mShape, mType] = [y.shape, y.dtype, m.shape, m.dtype];
  return {
    value: tf.engine().makeTensorFromTensorInfo(nll) as tf.Tensor1D,
    gradFunc: (dy, [se, sa, sen, stags, smask, sstate]) => {
      const g = dy.dtype === 'float32' ? dy : tf.cast(dy, 'float32');
      const out = [[b, T, K], [K, K], [K], [K]].map((shape) => backend.makeOutput(shape, 'float32'));
      const scratch = backend.makeOutput([2 * K * Kp + 7 * Kp + 2 * b * T * Kp], 'float32'); // crf.c's layout
      k.crf_backward(b, T, K, p(se), p(sa), p(sen), p(stags), p(smask), p(sstate), p(g), ...(out.map(p) as [number, number, number, number]), p(scratch));
      release(backend, scratch);
      return [...out.map((o) => tf.engine().makeTensorFromTensorInfo(o)), tf.zeros(yShape, yType), tf.zeros(mShape, mType)];
    },
  };
}

/** Viterbi paths [b·steps] (crf.ts' viterbiDecode's contract) by crf_viterbi on the heap. */
export function viterbiWasm(
  w: SimdHeap,
  emissions: ArrayLike<number>,
  b: number,
  steps: number,
  n: number,
  transitions: ArrayLike<number>,
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  lengths?: ArrayLike<number>,
): Int32Array {
  const { k, backend } = w;
  const Kp = padded(n);
  const f32 = (size: number) => backend.makeOutput([size], 'float32');
  const i32 = (size: number) => backend.makeOutput([size], 'int32');
  const [E, A, S, N, L, out, work, back] = [f32(b * steps * n), f32(n * n), f32(n), f32(n), i32(b), i32(b * steps), f32(2 * (n * Kp + 2 * Kp)), i32(steps * Kp)];
  try {
    // Views after the last allocation (they go stale when the heap grows).
    heapView(backend, E).set(emissions);
    heapView(backend, A).set(transitions);
    heapView(backend, S).set(start);
    heapView(backend, N).set(end);
    const len = heapView(backend, L);
    if (lengths) len.set(lengths);
    else len.fill(steps);
    const p = (x: Info) => heapOffset(backend, x);
    k.crf_viterbi(b, steps, n, p(E), p(A), p(S), p(N), p(L), p(out), p(work), p(back));
    return Int32Array.from(heapView(backend, out));
  } finally {
    release(backend, E, A, S, N, L, out, work, back);
  }
}
