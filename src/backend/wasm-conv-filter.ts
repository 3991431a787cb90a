// Owns Conv2DBackpropFilter for the WASM backend (tfjs-backend-wasm has none): the weight gradient of
// every convolution.
//
// Forward (NHWC, stride s, pad top/left pt/pl, output OH x OW):
//   y[n,oh,ow,oc] = Σ_{i,j,c} x[n, oh·sh + i − pt, ow·sw + j − pl, c] · w[i,j,c,oc]
// so the filter gradient is
//   dw[i,j,c,oc]  = Σ_{n,oh,ow} x[n, i + oh·sh − pt, j + ow·sw − pl, c] · dy[n,oh,ow,oc].
// On mtl's SIMD module this is computed as written (conv.c's conv2d_filter_grad): x and dy are read
// where they lie (x padded image by image into a scratch when the convolution pads), one image at a time so
// both stay in cache, with each 4-tap × 8-channel block of dw in registers (single-channel inputs:
// blocks of taps × filters over 4 pixels at a time, conv-c1.h).
//
// Without the module (or for NCHW), XNNPACK computes it with the roles swapped. Read with c as the
// batch, n as the input channel and (oh,ow) as filter taps spaced sh/sw apart, the sum is a stride-1
// convolution with dilation (sh,sw):
//   X'[c,h,w,n] = x[n,h,w,c]          (transpose)
//   F [oh,ow,n,oc] = dy[n,oh,ow,oc]   (transpose, used as the filter)
//   Z = conv2d(X', F, stride 1, dilation (sh,sw), pad top pt, left pl, bottom pb, right pr)
//   Z[c,i,j,oc] = dw[i,j,c,oc]        (transpose back)
// Z's height is H + pt + pb − (OH−1)·sh. For it to be exactly FH, pb = (OH−1)·sh + FH − H − pt.
// That can be negative (e.g. 'valid' with a stride that skips the last input rows); then pb = 0,
// Z is taller than FH and its extra rows (taps beyond the filter) are sliced off. Same for width.
// XNNPACK packs its filter operand anew for every new tensor: here the whole of dy, every step
// (about half of this path's time on quickstart's stem).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { pooledFilterGrad } from './wasm-conv-pooled';
import { tapsInside } from './wasm-conv-simd';
import { heapF32, release, run, type Attrs, type Info, type KernelArgs } from './wasm-ops';
import { heapOffset, simdKernels } from './wasm-simd';

export function conv2DBackpropFilter(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`wasm Conv2DBackpropFilter needs float32 tensors, got x ${x.dtype}, dy ${dy.dtype}`);
  }
  const channelsFirst = dataFormat === 'NCHW';
  // The forward geometry, computed by tfjs itself so it matches the forward pass exactly
  // ('same': total = max((OH−1)·s + F − H, 0), top = floor(total/2); 'valid': 0; numbers; explicit).
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    channelsFirst ? 'channelsFirst' : 'channelsLast',
  );
  const outC = filterShape[3];
  const { outHeight, outWidth } = info;
  const dyShape = channelsFirst ? [info.batchSize, outC, outHeight, outWidth] : [info.batchSize, outHeight, outWidth, outC];
  if (dy.shape.join() !== dyShape.join()) {
    throw new Error(`wasm Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${dyShape}]`);
  }

  const k = channelsFirst ? null : simdKernels(backend);
  const pooled = k ? pooledFilterGrad(backend, x, dy, info, filterShape) : null;
  if (pooled) return pooled;
  return k ? simdFilterGrad(backend, x, dy, info, filterShape) : composedFilterGrad(backend, x, dy, info, filterShape, channelsFirst);
}

/** dw on conv.c (NHWC): the sum as written, over x laid out with every tap inside. */
function simdFilterGrad(backend: BackendWasm, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo, filterShape: number[]): Info {
  const k = simdKernels(backend)!;
  const [fh, fw, c, oc] = filterShape;
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const dw = backend.makeOutput(filterShape, 'float32');
  if (n * oh * ow === 0) {
    heapF32(backend, dw).fill(0);
    return dw;
  }
  const taps = tapsInside(backend, x, { n, h, w, c, fh, fw, sh, sw, oh, ow, top: info.padInfo.top, left: info.padInfo.left });
  // Single-channel inputs into filter counts not a multiple of 4 take pixel vectors over a per-image
  // transposed dy and partial sums (conv-c1.h).
  const floats = k.conv2d_filter_grad_scratch(c, fh, fw, sw, oh, ow, oc);
  const scratch = floats > 0 ? backend.makeOutput([floats], 'float32') : null;
  try {
    k.conv2d_filter_grad(n, taps.ptr, taps.image, taps.row, c, fh, fw, sh, sw, heapOffset(backend, dy), oh, ow, oc, heapOffset(backend, dw), scratch ? heapOffset(backend, scratch) : 0, ...taps.raw, 0, fh * fw * c);
  } finally {
    taps.dispose();
    if (scratch) release(backend, scratch);
  }
  return dw;
}

/** dw through XNNPACK's Conv2D with the roles swapped (the header's second formulation). */
function composedFilterGrad(backend: BackendWasm, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo, filterShape: number[], channelsFirst: boolean): Info {
  const [fh, fw] = filterShape;
  // X' = [C, H, W, N], F = [OH, OW, N, OC].
  const xT = run(backend, 'Transpose', { x }, { perm: channelsFirst ? [1, 2, 3, 0] : [3, 1, 2, 0] });
  const dyT = run(backend, 'Transpose', { x: dy }, { perm: channelsFirst ? [2, 3, 0, 1] : [1, 2, 0, 3] });
  let z: Info;
  try {
    z = swappedRolesConv(backend, 'Conv2D', { x: xT, filter: dyT }, info, fh, fw, { dataFormat: 'NHWC' });
  } finally {
    // Disposing dyT also drops the XNNPACK operator the conv cached for this "filter".
    release(backend, xT, dyT);
  }
  const dw = run(backend, 'Transpose', { x: z }, { perm: [1, 2, 0, 3] });
  release(backend, z);
  return dw;
}

/**
 * The stride-1 convolution (Conv2D or DepthwiseConv2dNative) of a filter gradient with the roles
 * swapped (this file's header): dilation = the forward stride, top/left pads as the forward pass,
 * bottom/right pads that make the output FH × FW (clamped at 0; taps beyond the filter sliced off).
 */
export function swappedRolesConv(backend: BackendWasm, kernel: string, inputs: { x: Info; filter: Info }, info: tf.backend_util.Conv2DInfo, fh: number, fw: number, attrs: Attrs = {}): Info {
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const bottom = (outHeight - 1) * strideHeight + fh - inHeight - top;
  const right = (outWidth - 1) * strideWidth + fw - inWidth - left;
  const pad = [
    [0, 0],
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [0, 0],
  ];
  const z = run(backend, kernel, inputs, { ...attrs, strides: [1, 1], pad, dilations: [strideHeight, strideWidth] } as unknown as Attrs);
  if (z.shape[1] === fh && z.shape[2] === fw) return z;
  const cropped = run(backend, 'Slice', { x: z }, { begin: [0, 0, 0, 0], size: [z.shape[0], fh, fw, z.shape[3]] });
  release(backend, z);
  return cropped;
}
