// Owns the pooled path of a convolution's weight and input gradients (conv-pooled.c). When the
// convolution's dy is the gradient that a 2×2 / 2 max pooling's coded path wrote (wasm-pool-grads.ts),
// at most one value in four of it is not 0, and the pooling's codes say which: the gradients are then
// sums over the pooled values, a quarter of the multiply-adds of the dense sums or less (at
// quickstart's two convolutions, batch 256, one thread: ~18 → ~6 ms). Covered: NHWC, stride 1,
// dilation 1, the convolution's output exactly the pooling's input (2·ph × 2·pw), fw·c ≥ 4; any padding
// (the input padded into a copy, dx computed on the padded grid and cropped). Otherwise null: the dense
// kernels run.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { release, run, type Info } from './wasm-ops';
import { pooledGradient, type PooledGradient } from './wasm-pool-grads';
import { heapOffset, simdKernels } from './wasm-simd';

type ConvInfo = tf.backend_util.Conv2DInfo;

/** How many gradients took the pooled path (tests read it to know which path ran). */
export const pooledRuns = { filter: 0, input: 0 };

/** The padded input's geometry: every tap of every output pixel inside it. */
interface Padded {
  hp: number;
  wp: number;
  /** Whether x already is it (no padding). */
  inPlace: boolean;
}

/** dy's pooled source when conv-pooled.c covers this convolution (header), else null. */
function pooledFor(backend: BackendWasm, dy: Info, info: ConvInfo): (PooledGradient & Padded) | null {
  const p = pooledGradient(backend, dy);
  if (!p || info.dataFormat !== 'channelsLast') return null;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, outHeight, outWidth, outChannels, batchSize } = info;
  if (strideHeight !== 1 || strideWidth !== 1 || dilationHeight !== 1 || dilationWidth !== 1) return null;
  const [n, ph, pw, oc] = p.dp.shape;
  if (n !== batchSize || oc !== outChannels || outHeight !== 2 * ph || outWidth !== 2 * pw || info.filterWidth * info.inChannels < 4) return null;
  const [hp, wp] = [outHeight + info.filterHeight - 1, outWidth + info.filterWidth - 1];
  const { top, left } = info.padInfo;
  // The input must fit in the padded grid at (top, left) (explicit pads can exceed it: dense path).
  if (top < 0 || left < 0 || top + info.inHeight > hp || left + info.inWidth > wp) return null;
  return { ...p, hp, wp, inPlace: top === 0 && left === 0 && hp === info.inHeight && wp === info.inWidth };
}

/** dw [fh, fw, c, oc] from dy's pooled source, or null when not covered. */
export function pooledFilterGrad(backend: BackendWasm, x: Info, dy: Info, info: ConvInfo, filterShape: number[]): Info | null {
  const p = pooledFor(backend, dy, info);
  const k = simdKernels(backend);
  if (!p || !k) return null;
  const [fh, fw, c, oc] = filterShape;
  const [, ph, pw] = p.dp.shape;
  const n = info.batchSize;
  let xp = x;
  if (!p.inPlace) {
    xp = backend.makeOutput([n, p.hp, p.wp, c], 'float32');
    k.pad_hw(heapOffset(backend, x), heapOffset(backend, xp), n, info.inHeight, info.inWidth, c, p.hp, p.wp, info.padInfo.top, info.padInfo.left, 0);
  }
  const dw = backend.makeOutput(filterShape, 'float32');
  const scratch = backend.makeOutput([k.conv2d_filter_grad_pooled_scratch(oc, fh, fw, c, ph, pw)], 'float32');
  try {
    k.conv2d_filter_grad_pooled(n, heapOffset(backend, xp), p.hp * p.wp * c, p.wp, c, fh, fw, heapOffset(backend, p.codes), heapOffset(backend, p.dp), ph, pw, oc, p.relu ? 1 : 0, heapOffset(backend, dw), heapOffset(backend, scratch), 0, oc);
  } finally {
    release(backend, scratch);
    if (xp !== x) release(backend, xp);
  }
  pooledRuns.filter++;
  return dw;
}

/** dx [n, h, w, c] from dy's pooled source, or null when not covered. */
export function pooledInputGrad(backend: BackendWasm, dy: Info, filter: Info, info: ConvInfo): Info | null {
  const p = pooledFor(backend, dy, info);
  const k = simdKernels(backend);
  if (!p || !k) return null;
  const [fh, fw, c, oc] = filter.shape;
  const [n, ph, pw] = p.dp.shape;
  const dx = backend.makeOutput(p.inPlace ? [n, info.inHeight, info.inWidth, c] : [n, p.hp, p.wp, c], 'float32');
  const scratch = backend.makeOutput([k.conv2d_input_grad_pooled_scratch(oc, fh, fw, c)], 'float32');
  try {
    k.conv2d_input_grad_pooled(n, heapOffset(backend, p.codes), heapOffset(backend, p.dp), ph, pw, oc, p.relu ? 1 : 0, heapOffset(backend, filter), c, fh, fw, heapOffset(backend, dx), p.wp, p.hp * p.wp * c, heapOffset(backend, scratch));
  } finally {
    release(backend, scratch);
  }
  pooledRuns.input++;
  return cropped(backend, dx, p, info);
}

/** dx on the padded grid cut to the input's (the pads' rows and columns dropped). */
function cropped(backend: BackendWasm, dx: Info, p: Padded, info: ConvInfo): Info {
  if (p.inPlace) return dx;
  const out = run(backend, 'Slice', { x: dx }, { begin: [0, info.padInfo.top, info.padInfo.left, 0], size: [info.batchSize, info.inHeight, info.inWidth, info.inChannels] });
  release(backend, dx);
  return out;
}
