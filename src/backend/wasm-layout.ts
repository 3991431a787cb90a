// Owns data-movement kernels for the WASM backend that tfjs-backend-wasm runs with per-element loops
// in JS or a full copy of the input out of the heap: Concat (a bidirectional layer joins its two
// directions along the last axis), Slice and SplitV (Concat's gradient splits them again), Pack and
// Unpack (stack and unstack: tfjs's Unpack reads the whole input out of the heap once per piece, T²
// copies for T pieces — 1 MB per step of a representation-mode method at T = 8). They copy
// contiguous runs on the heap (copyWithin over the heap's bytes: a memmove, no allocation); at
// [64, 16, 32] Concat ~100 → ~50 µs, Slice ~95 → ~30 µs, SplitV in two ~165 → ~75 µs. (A Max over an
// inner axis and a 2-D Transpose written the same way were not faster than tfjs's; not kept.)
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapBytes, originalKernel, type Info, type KernelArgs } from './wasm-ops';

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
const offsetOf = (backend: BackendWasm, t: Info) => backend.dataIdMap.get(t.dataId)!.memoryOffset as number;

/** Concat along any axis: per index of the axes before it, each input's block in turn. */
export function concat(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const inputs = args.inputs as unknown as Info[];
  const dtype = inputs[0].dtype;
  if (inputs.length < 2 || !BYTES[dtype] || inputs.some((t) => t.dtype !== dtype || prod(t.shape) === 0)) return originalKernel('Concat').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  const axis = tf.util.parseAxisParam((args.attrs as unknown as tf.ConcatAttrs).axis, inputs[0].shape)[0];
  tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
  const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
  const out = backend.makeOutput(outShape, dtype);
  const heap = heapBytes(backend);
  const size = BYTES[dtype];
  const outer = prod(outShape.slice(0, axis));
  const blocks = inputs.map((t) => prod(t.shape.slice(axis)) * size);
  const froms = inputs.map((t) => offsetOf(backend, t));
  let to = offsetOf(backend, out);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inputs.length; i++) {
      const from = froms[i] + o * blocks[i];
      heap.copyWithin(to, from, from + blocks[i]);
      to += blocks[i];
    }
  }
  return out;
}

/** Slice: runs over the trailing axes the slice keeps whole, merged into one copy each. */
export function slice(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: Info };
  if (!BYTES[x.dtype] || x.shape.length === 0) return originalKernel('Slice').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  const attrs = args.attrs as unknown as tf.SliceAttrs;
  const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, attrs.begin, attrs.size);
  const out = backend.makeOutput(size, x.dtype);
  if (prod(size) === 0) return out;
  const heap = heapBytes(backend);
  const bytes = BYTES[x.dtype];
  const r = x.shape.length;
  const strides = tf.util.computeStrides(x.shape); // elements, rank − 1 entries
  const stride = (j: number) => (j < r - 1 ? strides[j] : 1);
  // k: the outermost axis of the run; every axis after it is taken whole.
  let k = r - 1;
  while (k > 0 && size[k] === x.shape[k]) k--;
  const run = size[k] * stride(k) * bytes;
  const base = offsetOf(backend, x) + begin.reduce((acc, b, j) => acc + b * stride(j), 0) * bytes;
  const idx = new Array<number>(k).fill(0);
  const count = prod(size.slice(0, k));
  let to = offsetOf(backend, out);
  for (let c = 0; c < count; c++) {
    let from = base;
    for (let j = 0; j < k; j++) from += idx[j] * stride(j) * bytes;
    heap.copyWithin(to, from, from + run);
    to += run;
    for (let j = k - 1; j >= 0; j--) {
      if (++idx[j] < size[j]) break;
      idx[j] = 0;
    }
  }
  return out;
}

/** SplitV (the gradient of Concat) as tfjs's: one Slice per piece, here the Slice above. */
export function splitV(args: KernelArgs): Info[] {
  const { x } = args.inputs as { x: Info };
  const attrs = args.attrs as unknown as tf.SplitVAttrs;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const piece = slice({ inputs: { x }, backend: args.backend, attrs: { begin: [...begin], size } as unknown as tf.NamedAttrMap });
    begin[axis] += s;
    return piece;
  });
}

/** Pack (stack) along `axis`: a Concat of the inputs seen with a unit axis there (same buffers). */
export function pack(args: KernelArgs): Info {
  const inputs = args.inputs as unknown as Info[];
  const r = inputs[0]?.shape.length ?? 0;
  const axis = tf.util.parseAxisParam((args.attrs as unknown as tf.PackAttrs).axis, new Array<number>(r + 1).fill(1))[0];
  if (inputs.length < 2 || inputs.some((t) => !tf.util.arraysEqual(t.shape, inputs[0].shape))) return originalKernel('Pack').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  const unit = inputs.map((t) => ({ ...t, shape: [...t.shape.slice(0, axis), 1, ...t.shape.slice(axis)] }));
  return concat({ inputs: unit as unknown as tf.NamedTensorInfoMap, backend: args.backend, attrs: { axis } as unknown as tf.NamedAttrMap });
}

/** Unpack (unstack) along `axis`: one Slice per index (the Slice above), without the axis. */
export function unpack(args: KernelArgs): Info[] {
  const { value } = args.inputs as { value: Info };
  const axis = tf.util.parseAxisParam((args.attrs as unknown as tf.UnpackAttrs).axis, value.shape)[0];
  const shape = value.shape.filter((_, j) => j !== axis);
  const begin = new Array<number>(value.shape.length).fill(0);
  const size = value.shape.map((d, j) => (j === axis ? 1 : d));
  return Array.from({ length: value.shape[axis] }, (_, i) => {
    begin[axis] = i;
    const piece = slice({ inputs: { x: value }, backend: args.backend, attrs: { begin: [...begin], size } as unknown as tf.NamedAttrMap });
    return { ...piece, shape };
  });
}
