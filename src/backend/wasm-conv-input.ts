// Owns Conv2DBackpropInput for the WASM backend: the input gradient of conv2d as a forward
// convolution on the XNNPACK-backed Conv2D kernel, instead of tfjs-backend-wasm's plain loops.
//
// Forward (NHWC, stride s, pad top/left pt/pl, output OH x OW):
//   y[n,oh,ow,oc] = Σ_{i,j,c} x[n, oh·sh + i − pt, ow·sw + j − pl, c] · w[i,j,c,oc]
// so, with U = dy spread out by the stride (U[n, oh·sh, ow·sw, :] = dy[n,oh,ow,:], zeros between),
//   dx[n,h,w,c] = Σ_{i,j,oc} U[n, h + pt − i, w + pl − j, oc] · w[i,j,c,oc]
//              = Σ_{i',j',oc} U[n, h − (FH−1−pt) + i', w − (FW−1−pl) + j', oc] · W'[i',j',oc,c]
// with W'[i',j',oc,c] = w[FH−1−i', FW−1−j', c, oc] (the filter flipped in space, in/out swapped).
// That is a stride-1 convolution of U, padded FH−1−pt on top, with W'. U is built by padding each
// element of dy with s−1 zeros after it, so it carries s−1 trailing zero rows; the bottom pad
// makes the output exactly H rows tall. Pads that come out negative (explicit pads larger than
// the filter, or 'valid' rows the forward pass never read) are clamped to 0 and the surplus
// output rows/columns are sliced off. Dilations: tfjs's conv2d gradient refuses rates > 1.
// On mtl's SIMD module (conv.c) the stride-1 correlation reads dy through a zero-padded copy, skipping
// taps wholly in the padding, and strides > 1 are split by phase (axisPhases below) so that no
// multiply meets a spread zero.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { pooledInputGrad } from './wasm-conv-pooled';
import { channelVectors, simdConvForward, simdConvInto } from './wasm-conv-simd';
import { heapF32, originalKernel, release, run, type Info, type KernelArgs } from './wasm-ops';
import { heapOffset, simdKernels } from './wasm-simd';

/**
 * dy spread out by the stride: s−1 zeros after every element along H and W (NHWC). Written on the
 * heap in JS (one contiguous copy of C values per element): tfjs-backend-wasm's 6-D PadV2 that
 * would do the same is slower than the convolution itself.
 */
export function spread(backend: BackendWasm, dy: Info, sh: number, sw: number): Info {
  const [n, oh, ow, c] = dy.shape;
  if (sh === 1 && sw === 1) return run(backend, 'Reshape', { x: dy }, { shape: dy.shape });
  const u = backend.makeOutput([n, oh * sh, ow * sw, c], 'float32');
  const [src, dst] = [heapF32(backend, dy), heapF32(backend, u)];
  dst.fill(0);
  const rowStride = ow * sw * c;
  for (let b = 0, i = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      let o = (b * oh * sh + y * sh) * rowStride;
      for (let x = 0; x < ow; x++, i += c, o += sw * c) dst.set(src.subarray(i, i + c), o);
    }
  }
  return u;
}

/** Pads (clamped at 0) of the stride-1 correlation of U, and where its output starts (NHWC). */
export function correlationPads(info: tf.backend_util.Conv2DInfo): { pads: number[][]; offH: number; offW: number } {
  const { filterHeight: fh, filterWidth: fw, inHeight, inWidth, outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  // Relative to U, whose last s−1 rows/columns are trailing zeros.
  const padTop = fh - 1 - top;
  const padLeft = fw - 1 - left;
  const padBottom = inHeight - 1 - (outHeight - 1) * sh + top - (sh - 1);
  const padRight = inWidth - 1 - (outWidth - 1) * sw + left - (sw - 1);
  const pads = [[0, 0], [Math.max(padTop, 0), Math.max(padBottom, 0)], [Math.max(padLeft, 0), Math.max(padRight, 0)], [0, 0]];
  return { pads, offH: Math.max(-padTop, 0), offW: Math.max(-padLeft, 0) };
}

/** z cut to `shape` from (offH, offW) when it is larger (negative pads); z itself otherwise. */
export function cropTo(backend: BackendWasm, z: Info, p: { offH: number; offW: number }, shape: number[]): Info {
  if (p.offH === 0 && p.offW === 0 && z.shape.join() === shape.join()) return z;
  const cropped = run(backend, 'Slice', { x: z }, { begin: [0, p.offH, p.offW, 0], size: shape });
  release(backend, z);
  return cropped;
}

export function conv2DBackpropInput(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    throw new Error(`wasm Conv2DBackpropInput needs float32 tensors, got dy ${dy.dtype}, filter ${filter.dtype}`);
  }
  const channelsFirst = dataFormat === 'NCHW';
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, channelsFirst ? 'channelsFirst' : 'channelsLast');
  const [, , inC, outC] = filter.shape;
  const { batchSize: n, inHeight, inWidth, outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const dyShape = channelsFirst ? [n, outC, outHeight, outWidth] : [n, outHeight, outWidth, outC];
  if (dy.shape.join() !== dyShape.join()) {
    throw new Error(`wasm Conv2DBackpropInput: dy has shape [${dy.shape}], expected [${dyShape}]`);
  }
  if (simdKernels(backend) && !channelsFirst && n * inHeight * inWidth > 0) {
    const pooled = pooledInputGrad(backend, dy, filter, info);
    if (pooled) return pooled;
    return sh === 1 && sw === 1 ? simdInputGrad(backend, dy, filter, info) : simdStridedInputGrad(backend, dy, filter, info);
  }
  // tfjs-backend-wasm's own loops win for strides > 1 (U is s² times larger than dy, mostly zeros)
  // and fewer than 4 input channels (XNNPACK is slow with so few output channels), e.g. a 7x7/2 stem
  // on a grey image: 4.5 ms there against 12 ms here.
  if (sh > 1 || sw > 1 || inC < 4) return originalKernel('Conv2DBackpropInput').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;

  const dyNhwc = channelsFirst ? run(backend, 'Transpose', { x: dy }, { perm: [0, 2, 3, 1] }) : dy;
  const u = spread(backend, dyNhwc, sh, sw);
  if (channelsFirst) release(backend, dyNhwc);
  const p = correlationPads(info);

  const flipped = run(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
  const f = run(backend, 'Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
  release(backend, flipped);
  let z: Info;
  try {
    z = run(backend, 'Conv2D', { x: u, filter: f }, { strides: [1, 1], pad: p.pads, dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap);
  } finally {
    // Disposing f also drops the XNNPACK operator the conv cached for this filter.
    release(backend, u, f);
  }
  z = cropTo(backend, z, p, [n, inHeight, inWidth, inC]);
  if (!channelsFirst) return z;
  const dx = run(backend, 'Transpose', { x: z }, { perm: [0, 3, 1, 2] });
  release(backend, z);
  return dx;
}

/**
 * Stride 1 on mtl's SIMD module: the correlation of the header on dy itself (no spread needed), padded
 * FH−1−pt on top and FW−1−pl on the left (a negative pad crops), with W' laid out as [FH·FW·OC, C]
 * (as [C, FH·FW·OC] when channelVectors(OC, C): simdConvInto's layouts).
 */
function simdInputGrad(backend: BackendWasm, dy: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info {
  const [fh, fw, c, oc] = filter.shape;
  const { batchSize: n, inHeight: h, inWidth: w, outHeight, outWidth, padInfo } = info;
  const flipped = run(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
  const wT = run(backend, 'Transpose', { x: flipped }, { perm: channelVectors(oc, c) ? [2, 0, 1, 3] : [0, 1, 3, 2] });
  release(backend, flipped);
  try {
    const g = { n, h: outHeight, w: outWidth, c: oc, fh, fw, sh: 1, sw: 1, oh: h, ow: w, top: fh - 1 - padInfo.top, left: fw - 1 - padInfo.left };
    return simdConvForward(backend, simdKernels(backend)!, dy, wT, c, g);
  } finally {
    release(backend, wT);
  }
}

/**
 * One axis of a strided input gradient split by phase (see the header: dx[h] = Σ_i dy[oh]·w[i] over
 * oh·s + i − p = h). The rows h with (h + p) mod s = ρ meet only the taps i = ρ + s·u, u < U, and
 * with h = s·m + ρ − p, dx[h] = Σ_u dy[m − u]·w[ρ + s·u]: a stride-1 correlation of dy, shifted by
 * U − 1 − m0 (padded, or cropped when negative), with those taps reversed, written every s-th row
 * from h0 = s·m0 + ρ − p. For each ρ: its taps U, first m0, row count and the shift.
 */
function axisPhases(size: number, f: number, s: number, p: number): Array<{ rho: number; taps: number; count: number; shift: number; start: number }> {
  return Array.from({ length: s }, (_, rho) => {
    const taps = Math.max(0, Math.ceil((f - rho) / s));
    const m0 = Math.ceil((p - rho) / s);
    const count = Math.floor((size - 1 + p - rho) / s) - m0 + 1;
    return { rho, taps, count, shift: taps - 1 - m0, start: s * m0 + rho - p };
  });
}

/**
 * The phase's taps w[ρ + sh·(U−1−v), σ + sw·(V−1−v'), c, oc] as [U, V, OC, C] (= [U·V·OC, C]), or as
 * [C, U·V·OC] when channelVectors(OC, C) (simdConvInto's layouts).
 */
function phaseFilter(backend: BackendWasm, filter: Info, sh: number, sw: number, rho: number, sigma: number, u: number, v: number): Info {
  const [, fw, c, oc] = filter.shape;
  const out = backend.makeOutput([u, v, oc, c], 'float32');
  const [w, dst] = [heapF32(backend, filter), heapF32(backend, out)];
  // W'[t, j, i] goes to (t·OC + j)·C + i, or to (i·U·V + t)·OC + j (C rows of U·V·OC).
  const [rows, taps] = [channelVectors(oc, c), u * v];
  for (let a = 0; a < u; a++) {
    for (let b = 0; b < v; b++) {
      const tap = ((rho + sh * (u - 1 - a)) * fw + sigma + sw * (v - 1 - b)) * c * oc;
      const t = a * v + b;
      for (let j = 0; j < oc; j++) {
        for (let i = 0; i < c; i++) dst[rows ? (i * taps + t) * oc + j : (t * oc + j) * c + i] = w[tap + i * oc + j];
      }
    }
  }
  return out;
}

/** Strides > 1 on mtl's SIMD module: one stride-1 convolution per (row, column) phase, no zeros spread. */
function simdStridedInputGrad(backend: BackendWasm, dy: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info {
  const k = simdKernels(backend)!;
  const [fh, fw, c, oc] = filter.shape;
  const { batchSize: n, inHeight: h, inWidth: w, outHeight, outWidth, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const rows = axisPhases(h, fh, sh, padInfo.top).filter((r) => r.count > 0);
  const cols = axisPhases(w, fw, sw, padInfo.left).filter((q) => q.count > 0);
  const dx = backend.makeOutput([n, h, w, c], 'float32');
  // Rows or columns that no tap reaches (a filter smaller than the stride) get no gradient.
  if (rows.some((r) => r.taps === 0) || cols.some((q) => q.taps === 0)) heapF32(backend, dx).fill(0);
  for (const r of rows.filter((r) => r.taps > 0)) {
    for (const q of cols.filter((q) => q.taps > 0)) {
      const f = phaseFilter(backend, filter, sh, sw, r.rho, q.rho, r.taps, q.taps);
      const g = { n, h: outHeight, w: outWidth, c: oc, fh: r.taps, fw: q.taps, sh: 1, sw: 1, oh: r.count, ow: q.count, top: r.shift, left: q.shift };
      const to = { ptr: heapOffset(backend, dx) + 4 * (r.start * w + q.start) * c, image: h * w * c, row: sh * w * c, pix: sw * c };
      try {
        simdConvInto(backend, k, dy, f, c, g, to);
      } finally {
        release(backend, f);
      }
    }
  }
  return dx;
}
