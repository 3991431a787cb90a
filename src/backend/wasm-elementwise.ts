// Owns two elementwise kernels for the WASM backend that tfjs-backend-wasm runs with a per-element
// index computation (~40–60 ns an element, 4–12 ms at the shapes of a text model's step):
// - comparisons (Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual) whose operands are
//   broadcast, e.g. the gradient of max pooling over time, x == max(x) with shapes [b, T, C] and
//   [b, 1, C]; same-shape comparisons stay on tfjs's kernel;
// - Reverse (bidirectional recurrent layers reverse the backward direction's outputs and gradients).
// Both are one pass in JS over typed views of the tensors on the WASM heap, in contiguous runs.
// Also the backward pass of + bias and relu after a convolution or a product (biasReluGrad), one
// pass on mtl's SIMD kernel (elementwise.c) where tfjs runs Step, Multiply and Sum.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { attachment, heapView, IMAGE_SUMS, originalKernel, type HeapArray, type Info, type KernelArgs } from './wasm-ops';
import { heapOffset, simdKernels } from './wasm-simd';

type Compare = (a: HeapArray, ia: number, sa: number, b: HeapArray, ib: number, sb: number, out: Uint8Array, io: number, n: number) => void;

// One run of n outputs; sa/sb are 0 for an operand broadcast along the run, else 1.
const COMPARE: Record<string, Compare> = {
  Equal: (a, ia, sa, b, ib, sb, o, io, n) => {
    for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] === b[ib] ? 1 : 0;
  },
  NotEqual: (a, ia, sa, b, ib, sb, o, io, n) => {
    for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] !== b[ib] ? 1 : 0;
  },
  Greater: (a, ia, sa, b, ib, sb, o, io, n) => {
    for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] > b[ib] ? 1 : 0;
  },
  GreaterEqual: (a, ia, sa, b, ib, sb, o, io, n) => {
    for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] >= b[ib] ? 1 : 0;
  },
  Less: (a, ia, sa, b, ib, sb, o, io, n) => {
    for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] < b[ib] ? 1 : 0;
  },
  LessEqual: (a, ia, sa, b, ib, sb, o, io, n) => {
    for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] <= b[ib] ? 1 : 0;
  },
};
export const COMPARISONS = Object.keys(COMPARE);

/**
 * The output shape with adjacent axes merged where each operand is either full along both or
 * broadcast along both (size-1 output axes dropped), so runs are as long as they can be.
 * Returns [out dims, a strides, b strides] (stride 0 = broadcast).
 */
export function collapse(outShape: number[], aShape: number[], bShape: number[]): [number[], number[], number[]] {
  const pad = (s: number[]) => [...Array(outShape.length - s.length).fill(1), ...s];
  const [ap, bp] = [pad(aShape), pad(bShape)];
  const dims: number[] = [];
  const aFull: boolean[] = [];
  const bFull: boolean[] = [];
  outShape.forEach((d, i) => {
    if (d === 1) return;
    const [fa, fb] = [ap[i] !== 1, bp[i] !== 1];
    const last = dims.length - 1;
    if (last >= 0 && aFull[last] === fa && bFull[last] === fb) dims[last] *= d;
    else dims.push(d), aFull.push(fa), bFull.push(fb);
  });
  const strides = (full: boolean[]) => {
    const s = new Array<number>(dims.length);
    for (let i = dims.length - 1, acc = 1; i >= 0; i--) {
      s[i] = full[i] ? acc : 0;
      if (full[i]) acc *= dims[i];
    }
    return s;
  };
  return [dims, strides(aFull), strides(bFull)];
}

/** Calls run(ia, ib, io, n) for every run of the innermost (collapsed) axis. */
function forEachRun(dims: number[], sa: number[], sb: number[], run: (ia: number, ib: number, io: number, n: number) => void): void {
  const r = dims.length;
  if (r === 0) return run(0, 0, 0, 1);
  const n = dims[r - 1];
  const idx = new Array<number>(r - 1).fill(0);
  let [ia, ib] = [0, 0];
  const total = dims.reduce((x, y) => x * y, 1);
  for (let io = 0; io < total; io += n) {
    run(ia, ib, io, n);
    for (let d = r - 2; d >= 0; d--) {
      ia += sa[d];
      ib += sb[d];
      if (++idx[d] < dims[d]) break;
      ia -= sa[d] * dims[d];
      ib -= sb[d] * dims[d];
      idx[d] = 0;
    }
  }
}

function comparison(name: string): tf.KernelFunc {
  const compare = COMPARE[name];
  return (args: KernelArgs) => {
    const backend = args.backend as BackendWasm;
    const { a, b } = args.inputs as { a: Info; b: Info };
    if (a.shape.join() === b.shape.join()) return originalKernel(name).kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = backend.makeOutput(outShape, 'bool');
    const [av, bv, ov] = [heapView(backend, a), heapView(backend, b), heapView(backend, out) as Uint8Array];
    const [dims, sa, sb] = collapse(outShape, a.shape, b.shape);
    const ra = dims.length ? sa[dims.length - 1] : 0;
    const rb = dims.length ? sb[dims.length - 1] : 0;
    forEachRun(dims, sa, sb, (ia, ib, io, n) => compare(av, ia, ra, bv, ib, rb, ov, io, n));
    return out;
  };
}

export const comparisonKernels = new Map<string, tf.KernelFunc>(COMPARISONS.map((name) => [name, comparison(name)]));

/** Reverse along `dims`: rows of the last axis copied whole when it is not reversed. */
export function reverse(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: Info };
  const axes = tf.util.parseAxisParam((args.attrs as unknown as tf.ReverseAttrs).dims, x.shape);
  const shape = x.shape;
  const out = backend.makeOutput(shape, x.dtype);
  const [src, dst] = [heapView(backend, x), heapView(backend, out)];
  const r = shape.length;
  if (r === 0) {
    dst.set(src);
    return out;
  }
  const flip = shape.map((_, i) => axes.includes(i));
  const n = shape[r - 1];
  const rowStride = new Array<number>(r - 1);
  for (let i = r - 2, acc = n; i >= 0; i--) {
    rowStride[i] = acc;
    acc *= shape[i];
  }
  const idx = new Array<number>(r - 1).fill(0);
  // Offset of the source row of output row 0: every flipped axis starts at its last index.
  let from = 0;
  for (let i = 0; i < r - 1; i++) if (flip[i]) from += (shape[i] - 1) * rowStride[i];
  const total = src.length;
  for (let to = 0; to < total; to += n) {
    if (flip[r - 1]) for (let k = 0; k < n; k++) dst[to + k] = src[from + n - 1 - k];
    else dst.set(src.subarray(from, from + n), to);
    for (let d = r - 2; d >= 0; d--) {
      const step = flip[d] ? -rowStride[d] : rowStride[d];
      from += step;
      if (++idx[d] < shape[d]) break;
      from -= step * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

// Relu's mask applied early: tensors whose data a fused relu produced (one-kernel layers mark them),
// and gradients already multiplied by step() of such data (max pooling's gradient, fused with it:
// wasm-pool-grads.ts). The relu's own gradient then has nothing left to mask — every gradient of y
// reaches it, and step(y)·step(y)·d = step(y)·d bit for bit. Keyed by data (views share it: the
// same values), never reused by tfjs.
const reluData = new WeakSet<object>();
const maskedBy = new WeakMap<object, object>();

/** Records that t's data is the output of a relu (values max(·, 0), NaN kept). */
export const markReluOutput = (t: { dataId: object }): void => void reluData.add(t.dataId);
export const isReluOutput = (t: { dataId: object }): boolean => reluData.has(t.dataId);
/** Records that grad's values are already multiplied by step(y) (y a relu's output). */
export const markMaskedBy = (grad: { dataId: object }, y: { dataId: object }): void => void maskedBy.set(grad.dataId, y.dataId);

/**
 * For y = act(z + bias) with act relu or linear, and dy = ∂L/∂y over [..., C]: dz = ∂L/∂z (dy itself
 * when linear; relu: one pass of elementwise.c's relu_grad, or dy itself when already masked) and, when withBias, db = ∂L/∂bias [C] =
 * dz summed over the leading axes (channels.c's sum_rows, tfjs's Sum bit for bit; or, when dz came
 * with per-image column sums, those summed in image order). Null when not on wasm with mtl's kernels.
 */
export function biasReluGrad(dy: tf.Tensor, y: tf.Tensor, relu: boolean, withBias: boolean): { dz: tf.Tensor; db: tf.Tensor | null } | null {
  const k = simdKernels();
  if (!k || dy.dtype !== 'float32' || y.dtype !== 'float32') return null;
  const backend = tf.backend() as unknown as BackendWasm;
  const wrap = (t: Info) => tf.engine().makeTensorFromTensorInfo(t);
  let dz = dy;
  if (relu && maskedBy.get(dy.dataId) !== y.dataId) {
    const out = backend.makeOutput(y.shape, 'float32');
    k.relu_grad(y.size, heapOffset(backend, y), heapOffset(backend, dy), heapOffset(backend, out));
    dz = wrap(out);
  }
  if (!withBias) return { dz, db: null };
  const cols = y.shape[y.rank - 1] ?? 1;
  const db = backend.makeOutput([cols], 'float32');
  // dz's column sums per image, when the kernel that made it left them (max pooling's gradient).
  const sums = dz === dy ? attachment(dy, IMAGE_SUMS)?.info : undefined;
  if (sums && sums.shape[1] === cols) k.sum_rows(heapOffset(backend, sums), sums.shape[0], cols, heapOffset(backend, db));
  else k.sum_rows(heapOffset(backend, dz), cols ? y.size / cols : 0, cols, heapOffset(backend, db));
  return { dz, db: wrap(db) };
}
