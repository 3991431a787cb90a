// Owns Tile for the WASM backend as block copies on the heap. tfjs-backend-wasm computes an input
// index per output element; batch normalisation's gradient tiles a per-channel [1,1,1,C] factor to
// the whole [N,H,W,C] activation at every layer (tfjs-core's BatchNorm gradient), which made Tile the
// top kernel of seed-resnet-two-heads-small (19 ms of a 150 ms step at batch 64).
//
// out[i_0..i_k] = x[i_0 mod s_0, …, i_k mod s_k]. Built from the innermost dimension outwards: x's
// block at dimension d is written once, then doubled with copyWithin until it repeats r_d times, so
// the work is a few memmoves instead of a division per element and dimension. Small outputs (a loss's
// [256, 1] → [256, 10]) go element by element instead (tileSmall).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapView, originalKernel, type HeapArray, type Info, type KernelArgs } from './wasm-ops';

/** Repeats out[from, from + len) `times` times in place (the copies follow it). */
function repeat(out: HeapArray, from: number, len: number, times: number): void {
  let have = len;
  const total = len * times;
  while (have < total) {
    const n = Math.min(have, total - have);
    out.copyWithin(from + have, from, from + n);
    have += n;
  }
}

/** Outputs up to this many elements are tiled element by element (tileSmall). */
const SMALL = 16 * 1024;

/**
 * out = x tiled, one element at a time with the source index kept by an odometer over the output. For
 * small outputs: block copies there are a typed-array call or several per few elements — a loss's
 * [256, 1] → [256, 10] took 256 sets and 1,024 copyWithins (~0.1 ms; four such per quickstart step).
 */
function tileSmall(src: HeapArray, dst: HeapArray, s: number[], o: number[], inStride: number[]): void {
  const k = s.length;
  const idx = new Array<number>(k).fill(0);
  let from = 0;
  for (let i = 0; i < dst.length; i++) {
    dst[i] = src[from];
    for (let d = k - 1; d >= 0; d--) {
      from += inStride[d];
      // Past the source's extent along d: back to its start (o[d] is a multiple of s[d]).
      if (++idx[d] % s[d] === 0) from -= s[d] * inStride[d];
      if (idx[d] < o[d]) break;
      idx[d] = 0;
    }
  }
}

export function tile(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: Info };
  const { reps } = (args.attrs ?? {}) as unknown as tf.TileAttrs;
  if (x.dtype === 'string' || x.dtype === 'complex64') return originalKernel('Tile').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  const s = x.shape;
  const k = s.length;
  const o = s.map((v, d) => v * reps[d]);
  const out = backend.makeOutput(o, x.dtype);
  if (tf.util.sizeFromShape(o) === 0) return out;
  const [src, dst] = [heapView(backend, x), heapView(backend, out)];
  // Strides of x and of the output, in elements.
  const inStride = new Array<number>(k).fill(1);
  const outStride = new Array<number>(k).fill(1);
  for (let d = k - 2; d >= 0; d--) {
    inStride[d] = inStride[d + 1] * s[d + 1];
    outStride[d] = outStride[d + 1] * o[d + 1];
  }
  const fill = (d: number, outOff: number, inOff: number): void => {
    if (d === k - 1) dst.set(src.subarray(inOff, inOff + s[d]), outOff);
    else for (let i = 0; i < s[d]; i++) fill(d + 1, outOff + i * outStride[d], inOff + i * inStride[d]);
    repeat(dst, outOff, s[d] * outStride[d], reps[d]);
  };
  if (k === 0) dst.set(src);
  else if (dst.length <= SMALL) tileSmall(src, dst, s, o, inStride);
  else fill(0, 0, 0);
  return out;
}
