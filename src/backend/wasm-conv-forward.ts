// Owns Conv2D and FusedConv2D for the WASM backend: on mtl's SIMD kernel (conv.c, NHWC, no dilation,
// no or relu activation: 1.4–1.7× XNNPACK at quickstart's and the resnet's shapes, which pays per
// call to pack its operands), else, when few channels would waste XNNPACK's tiles, the convolution
// is rewritten on a width-blocked layout, otherwise tfjs-backend-wasm's own runs.
//
// XNNPACK's f32 convolution computes 8 output channels per tile and pays a fixed cost per filter
// tap per input channel group; a grey-image stem (C = 1, 10 filters of 9x9) wastes 6 of every 16
// columns and runs 81 taps of one channel each (28 ms at batch 256, against 9 ms for the next,
// larger layer). Folding b neighbouring columns into the channels fixes both. Stride 1, no padding
// on the left or right (rows may be padded), width W divisible by b and (FW − 1) divisible by b:
//   x'[n,h,q,(r',c)]      = x[n,h,b·q + r',c]                 (a reshape: NHWC rows are contiguous)
//   y'[n,oh,q,(r,oc)]     = y[n,oh,b·q + r,oc]                (a reshape back)
//   y[n,oh,b·q+r,oc]      = Σ_{i,j,c} x[n,oh+i,b·q+r+j,c]·w[i,j,c,oc]
// and with b·q + r + j = b·(q + dq) + r', i.e. j = b·dq + r' − r:
//   y'[n,oh,q,(r,oc)]     = Σ_{i,dq,(r',c)} x'[n,oh+i,q+dq,(r',c)]·w'[i,dq,(r',c),(r,oc)]
//   w'[i,dq,(r',c),(r,oc)] = w[i, b·dq + r' − r, c, oc] when 0 ≤ b·dq + r' − r < FW, else 0
// a stride-1 'valid' convolution with KW' = (FW − 1)/b + 1 taps across, b·C input and b·OC output
// channels. It multiplies b·KW'/FW times as many terms (zeros included), so it is used only when
// the cost model below, fitted on XNNPACK's wasm SIMD timings, predicts a clear gain.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { channelVectors, simdConvForward } from './wasm-conv-simd';
import { heapF32, originalKernel, release, run, type Info, type KernelArgs } from './wasm-ops';
import { simdKernels } from './wasm-simd';

const BLOCKS = [2, 4, 8];
/** Cost of one input channel relative to one filter tap, per 8-column tile (fitted; see above). */
const CHANNEL_COST = 1.27;
/** Use a blocked layout only when it is predicted to take at most this share of the plain time. */
const GAIN = 0.7;

/** Relative XNNPACK time per output pixel of a convolution with fh·kw taps, kc input and oc output channels. */
function cost(fh: number, kw: number, kc: number, oc: number): number {
  return fh * kw * Math.ceil(oc / 8) * (1 + CHANNEL_COST * kc);
}

/** The width block b for this geometry (1: run the convolution as it is). */
export function widthBlock(info: tf.backend_util.Conv2DInfo): number {
  const { padInfo: p, strideHeight, strideWidth, dilationHeight, dilationWidth, filterWidth: fw, filterHeight: fh, inWidth, inChannels: c, outChannels: oc } = info;
  if (info.outHeight < 1 || info.outWidth < 1) return 1;
  if (info.dataFormat !== 'channelsLast' || strideHeight !== 1 || strideWidth !== 1 || dilationHeight !== 1 || dilationWidth !== 1) return 1;
  // Rows may be padded (the blocked convolution pads them the same way); columns may not.
  if (p.left || p.right) return 1;
  const plain = cost(fh, fw, c, oc);
  let best = 1;
  let bestCost = GAIN * plain;
  for (const b of BLOCKS) {
    if (inWidth % b || (fw - 1) % b) continue;
    const blocked = cost(fh, (fw - 1) / b + 1, b * c, b * oc) / b;
    if (blocked < bestCost) [best, bestCost] = [b, blocked];
  }
  return best;
}

/** w' of the header from the filter [FH, FW, C, OC] on the heap: [FH, KW', b·C, b·OC]. */
function blockFilter(backend: BackendWasm, filter: Info, b: number): Info {
  const [fh, fw, c, oc] = filter.shape;
  const kw = (fw - 1) / b + 1;
  const out = backend.makeOutput([fh, kw, b * c, b * oc], 'float32');
  const [w, dst] = [heapF32(backend, filter), heapF32(backend, out)];
  dst.fill(0);
  for (let i = 0; i < fh; i++) {
    for (let dq = 0; dq < kw; dq++) {
      for (let rp = 0; rp < b; rp++) {
        for (let r = 0; r < b; r++) {
          const j = b * dq + rp - r;
          if (j < 0 || j >= fw) continue;
          for (let ci = 0; ci < c; ci++) {
            const from = ((i * fw + j) * c + ci) * oc;
            dst.set(w.subarray(from, from + oc), ((((i * kw + dq) * b + rp) * c + ci) * b + r) * oc);
          }
        }
      }
    }
  }
  return out;
}

/** The bias [OC] repeated for each of the b folded columns: [b·OC]. */
function blockBias(backend: BackendWasm, bias: Info, b: number): Info {
  const out = backend.makeOutput([b * bias.shape[0]], 'float32');
  const [src, dst] = [heapF32(backend, bias), heapF32(backend, out)];
  for (let r = 0; r < b; r++) dst.set(src, r * src.length);
  return out;
}

function convInfo(x: Info, filter: Info, attrs: tf.Conv2DAttrs): tf.backend_util.Conv2DInfo {
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const format = dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast';
  return tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, format);
}

/**
 * mtl's SIMD convolution (conv.c reads the filter [FH, FW, C, OC] as the [FH·FW·C, OC] it is, or
 * transposed to [OC, FH·FW·C] for channelVectors), with the bias and a relu applied as it writes;
 * null when the case is not one it covers.
 */
function simdConv(backend: BackendWasm, x: Info, filter: Info, info: tf.backend_util.Conv2DInfo, bias: Info | undefined, activation: string): Info | null {
  const k = simdKernels(backend);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outChannels: oc, outHeight: oh, outWidth: ow } = info;
  if (!k || info.dataFormat !== 'channelsLast' || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if ((activation !== 'linear' && activation !== 'relu') || (bias && (bias.shape.length !== 1 || bias.shape[0] !== oc)) || n * oh * ow === 0) return null;
  const g = { n, h, w, c, fh: info.filterHeight, fw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth, oh, ow, top: info.padInfo.top, left: info.padInfo.left };
  if (!channelVectors(c, oc)) return simdConvForward(backend, k, x, filter, oc, g, bias, activation === 'relu');
  const wT = run(backend, 'Transpose', { x: filter }, { perm: [3, 0, 1, 2] });
  try {
    return simdConvForward(backend, k, x, wT, oc, g, bias, activation === 'relu');
  } finally {
    release(backend, wT);
  }
}

/**
 * Conv2D or FusedConv2D on mtl's SIMD kernel, else on the width-blocked layout when it pays, else
 * tfjs-backend-wasm's own kernel.
 */
function blockedConv(kernelName: 'Conv2D' | 'FusedConv2D', args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x, filter, bias, preluActivationWeights } = args.inputs as { x: Info; filter: Info; bias?: Info; preluActivationWeights?: Info };
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DAttrs;
  const original = originalKernel(kernelName).kernelFunc as (a: KernelArgs) => Info;
  const info = convInfo(x, filter, attrs);
  const activation = (args.attrs as { activation?: string } | undefined)?.activation ?? 'linear';
  const floats = x.dtype === 'float32' && filter.dtype === 'float32' && (!bias || bias.dtype === 'float32');
  const fast = floats && !preluActivationWeights ? simdConv(backend, x, filter, info, bias, activation) : null;
  if (fast) return fast;
  const b = x.dtype === 'float32' && filter.dtype === 'float32' && !preluActivationWeights && (!bias || bias.shape.length === 1) ? widthBlock(info) : 1;
  if (b === 1) return original(args);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c } = info;
  const xb = run(backend, 'Reshape', { x }, { shape: [n, h, w / b, b * c] });
  const fb = blockFilter(backend, filter, b);
  const bb = bias ? blockBias(backend, bias, b) : undefined;
  let y: Info;
  try {
    const inputs: Record<string, Info> = { x: xb, filter: fb, ...(bb ? { bias: bb } : {}) };
    const pad = [[0, 0], [info.padInfo.top, info.padInfo.bottom], [0, 0], [0, 0]];
    y = original({ inputs, backend, attrs: { ...args.attrs, strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap });
  } finally {
    // Disposing fb also drops the XNNPACK operator the convolution cached for it.
    release(backend, xb, fb, ...(bb ? [bb] : []));
  }
  const out = run(backend, 'Reshape', { x: y }, { shape: info.outShape });
  release(backend, y);
  return out;
}

export const conv2D = (args: KernelArgs): Info => blockedConv('Conv2D', args);
export const fusedConv2D = (args: KernelArgs): Info => blockedConv('FusedConv2D', args);
