// Owns Sum and Mean over leading axes and Add of a trailing vector for the WASM backend, on mtl's SIMD module
// (channels.c); every other case goes to tfjs-backend-wasm's own kernel.
//
// Both are a convolution's bias: forward y + b[c] on [N, H, W, C], backward db[c] = Σ_{n,h,w} dy
// (and Mean over N, H, W is batch normalisation's statistics).
// tfjs-backend-wasm's Sum transposes the reduced axes innermost first (a copy of the whole gradient)
// and its broadcasting Add walks an index per element; as [rows, C] matrices both are one pass with
// the channel vector innermost (6 → <1 ms and 4 → ~1 ms on quickstart's first layer at batch 256).
// The sums run over rows in order, as tfjs's do, so results are bit-identical (Mean too: tfjs divides
// the float32 sum by the count).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, originalKernel, type Info, type KernelArgs } from './wasm-ops';
import { heapOffset, simdKernels } from './wasm-simd';

const sizeOf = (shape: number[]) => tf.util.sizeFromShape(shape);

/** k when `axes` are exactly the first k axes of a rank-r tensor (1 ≤ k < r), else 0. */
export function leadingAxes(axes: number | number[] | undefined, rank: number): number {
  if (axes === undefined) return 0;
  const list = [...new Set((Array.isArray(axes) ? axes : [axes]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  const leading = list.every((a, i) => a === i);
  return leading && list.length >= 1 && list.length < rank ? list.length : 0;
}

/** Sum or Mean over leading axes as column sums of [rows, rest] (Mean: each sum / rows, in float32). */
function reduceLeading(kernelName: 'Sum' | 'Mean', args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: Info };
  const { axis, keepDims } = (args.attrs ?? {}) as unknown as tf.SumAttrs;
  const k = simdKernels(backend);
  const lead = leadingAxes(axis, x.shape.length);
  if (!k || x.dtype !== 'float32' || lead === 0 || sizeOf(x.shape) === 0) {
    return originalKernel(kernelName).kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  }
  const rest = x.shape.slice(lead);
  const rows = sizeOf(x.shape.slice(0, lead));
  const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, lead).map(() => 1), ...rest] : rest, 'float32');
  k.sum_rows(heapOffset(backend, x), rows, sizeOf(rest), heapOffset(backend, out));
  if (kernelName === 'Mean') {
    // tfjs's own Mean divides each float32 sum by the count; the quotient rounded once to float32 is that.
    const o = heapF32(backend, out);
    for (let i = 0; i < o.length; i++) o[i] = o[i] / rows;
  }
  return out;
}

export const sum = (args: KernelArgs): Info => reduceLeading('Sum', args);
export const mean = (args: KernelArgs): Info => reduceLeading('Mean', args);

/** Whether `small`, without its leading 1s, is a proper suffix of `large` (and not of higher rank). */
function trailing(small: number[], large: number[]): boolean {
  const first = small.findIndex((d) => d !== 1);
  const core = first === -1 ? [] : small.slice(first);
  return small.length <= large.length && core.length > 0 && core.length < large.length && large.slice(large.length - core.length).join() === core.join();
}

export function add(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as { a: Info; b: Info };
  const k = simdKernels(backend);
  const floats = a.dtype === 'float32' && b.dtype === 'float32';
  const [big, vec] = sizeOf(a.shape) >= sizeOf(b.shape) ? [a, b] : [b, a];
  if (!k || !floats || sizeOf(big.shape) === 0 || !trailing(vec.shape, big.shape)) {
    return originalKernel('Add').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  }
  const cols = sizeOf(vec.shape);
  const out = backend.makeOutput(big.shape, 'float32');
  k.add_row(heapOffset(backend, big), sizeOf(big.shape) / cols, cols, heapOffset(backend, vec), heapOffset(backend, out));
  return out;
}
