// Owns calling mtl's SIMD convolution kernels (src/backend/simd/conv.c) on NHWC float32 tensors:
// the input laid out so that every filter tap of every output pixel falls inside it (the tensor
// itself, or a zero-padded copy), and the forward convolution on that layout.
//
// A convolution with output OH×OW, stride s and filter FH×FW reads input rows −pt … (OH−1)·sh + FH − 1 − pt
// (columns likewise). When pt = pl = 0 and those rows and columns exist, x is read where it lies;
// otherwise the kernel copies each image, just before it computes its rows, into a scratch of
// (OH−1)·sh + FH rows × (OW−1)·sw + FW columns that holds it shifted by (pt, pl) with zeros around it.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { release, type Info } from './wasm-ops';
import { heapOffset, type SimdKernels } from './wasm-simd';

export interface Geometry {
  n: number;
  h: number;
  w: number;
  c: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  oh: number;
  ow: number;
  top: number;
  left: number;
}

/**
 * An input as the kernels read it: byte pointer, floats per image and per row, the rows and columns
 * that hold data (the rest are padding zeros), the source the kernel pads into it image by image
 * (raw: x's byte pointer, its height and width and the shift; raw 0 when x is read where it lies),
 * and what to release.
 */
export interface Taps {
  ptr: number;
  image: number;
  row: number;
  rows: [number, number];
  cols: [number, number];
  raw: [number, number, number, number, number];
  dispose(): void;
}

/**
 * x [n, h, w, c] with every tap of the geometry inside (see the header): x itself, or one padded
 * image's scratch that the kernel copies each image of x into before computing its rows (a copy of
 * the whole batch cost a pass through memory and its cold writes).
 */
export function tapsInside(backend: BackendWasm, x: Info, g: Geometry): Taps {
  const ph = (g.oh - 1) * g.sh + g.fh;
  const pw = (g.ow - 1) * g.sw + g.fw;
  if (g.top === 0 && g.left === 0 && ph <= g.h && pw <= g.w) {
    return { ptr: heapOffset(backend, x), image: g.h * g.w * g.c, row: g.w * g.c, rows: [0, g.h], cols: [0, g.w], raw: [0, 0, 0, 0, 0], dispose: () => {} };
  }
  const padded = backend.makeOutput([ph, pw, g.c], 'float32');
  const within = (lo: number, hi: number, size: number): [number, number] => [Math.max(lo, 0), Math.min(hi, size)];
  return {
    ptr: heapOffset(backend, padded),
    image: ph * pw * g.c,
    row: pw * g.c,
    rows: within(g.top, g.top + g.h, ph),
    cols: within(g.left, g.left + g.w, pw),
    raw: [heapOffset(backend, x), g.h, g.w, g.top, g.left],
    dispose: () => release(backend, padded),
  };
}

/** Where a convolution's output goes: a byte pointer and the floats between images, rows and pixels. */
export interface Placement {
  ptr: number;
  image: number;
  row: number;
  pix: number;
}

/**
 * Whether conv2d_forward_cvec (the input channels as the vector axis) suits a convolution of c input
 * channels into oc outputs: c fills whole vectors and oc does not (10 outputs fill 10 of conv.c's 12
 * lanes); it then takes the filter transposed, as [oc, fh·fw·c].
 */
export const channelVectors = (c: number, oc: number): boolean => c % 4 === 0 && oc % 4 !== 0;

/**
 * The convolution of x with w laid out as [fh·fw·c, oc] (row-major; [oc, fh·fw·c] when
 * channelVectors(c, oc)) on conv.c, written at `to` ([n, oh, ow, oc] when contiguous), then + bias
 * [oc] and relu when given.
 */
export function simdConvInto(backend: BackendWasm, k: SimdKernels, x: Info, w: Info, oc: number, g: Geometry, to: Placement, bias?: Info, relu = false): void {
  const taps = tapsInside(backend, x, g);
  try {
    const [r, q] = [taps.rows, taps.cols];
    const biasPtr = bias ? heapOffset(backend, bias) : 0;
    const conv = channelVectors(g.c, oc) ? k.conv2d_forward_cvec : k.conv2d_forward;
    conv(g.n, taps.ptr, taps.image, taps.row, g.c, g.fh, g.fw, g.sh, g.sw, heapOffset(backend, w), g.oh, g.ow, oc, to.ptr, to.image, to.row, to.pix, r[0], r[1], q[0], q[1], biasPtr, relu ? 1 : 0, ...taps.raw);
  } finally {
    taps.dispose();
  }
}

/** y [n, oh, ow, oc] = the convolution of x with w (as simdConvInto takes it) on conv.c, + bias and relu when given. */
export function simdConvForward(backend: BackendWasm, k: SimdKernels, x: Info, w: Info, oc: number, g: Geometry, bias?: Info, relu = false): Info {
  const y = backend.makeOutput([g.n, g.oh, g.ow, oc], 'float32');
  const to = { ptr: heapOffset(backend, y), image: g.oh * g.ow * oc, row: g.ow * oc, pix: oc };
  try {
    simdConvInto(backend, k, x, w, oc, g, to, bias, relu);
  } catch (e) {
    release(backend, y);
    throw e;
  }
  return y;
}
