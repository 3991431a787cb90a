// Owns MaxPool, MaxPoolGrad and AvgPoolGrad for the WASM backend. MaxPool runs on mtl's SIMD module
// (pool.c) with the cpu backend's semantics (first maximum by strict >, so NaN never wins), which
// the gradient below shares (a 2×2 / 2 pooling under a gradient tape also leaves a byte per value
// saying where its maximum was, which the gradient reads instead of the input); tfjs-backend-wasm's (XNNPACK) lets a NaN hide the values after it. tfjs-backend-wasm's versions walk NHWC
// tensors channel-outermost (a cache miss per element) and, for max pooling, start the running max
// at FLT_MIN (the smallest positive float), so windows of zeros or negative values get no gradient,
// and break ties towards the last maximum where the cpu backend takes the first.
//
// Both here are one pass over the output windows with the channel loop innermost, so every read
// and write is contiguous. They run in JS on typed views of the tensors on the WASM heap (no
// copies). Each window scatters its gradient into dx:
//   max:  dx[argmax of x over the window] += dy[window]   (first maximum in row-major window order,
//         as the cpu backend and TensorFlow's MaxPoolGrad do; NaN never wins)
//   avg:  dx[p] += dy[window] / (FH·FW) for each p in the window (the cpu backend's and
//         tfjs-backend-wasm's divisor: the full window, padded positions included)
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { attach, attachment, heapF32, heapView, IMAGE_SUMS, originalKernel, type Info, type KernelArgs } from './wasm-ops';
import { isReluOutput, markMaskedBy } from './wasm-elementwise';
import { heapOffset, simdKernels } from './wasm-simd';

interface PoolGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  fh: number;
  fw: number;
  top: number;
  left: number;
}

function poolGeometry(kernel: string, input: Info, dy: Info | null, attrs: tf.NamedAttrMap): PoolGeometry {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  if (input.dtype !== 'float32' || (dy && dy.dtype !== 'float32')) throw new Error(`wasm ${kernel} needs float32 tensors, got ${input.dtype}, dy ${dy?.dtype}`);
  if (dy && dy.shape.join() !== info.outShape.join()) throw new Error(`wasm ${kernel}: dy has shape [${dy.shape}], expected [${info.outShape}]`);
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    c: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    fh: info.effectiveFilterHeight,
    fw: info.effectiveFilterWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/** Calls visit(dyOffset, rowStart, rowEnd, colStart, colEnd, batch) for every output window. */
function forEachWindow(g: PoolGeometry, visit: (dyOff: number, r0: number, r1: number, c0: number, c1: number, b: number) => void): void {
  let dyOff = 0;
  for (let b = 0; b < g.n; b++) {
    for (let y = 0; y < g.oh; y++) {
      const rc = y * g.sh - g.top;
      const r0 = Math.max(rc, 0);
      const r1 = Math.min(rc + g.fh, g.h);
      for (let x = 0; x < g.ow; x++, dyOff += g.c) {
        const cc = x * g.sw - g.left;
        visit(dyOff, r0, r1, Math.max(cc, 0), Math.min(cc + g.fw, g.w), b);
      }
    }
  }
}

/**
 * 2x2 windows at stride 2 that tile the input exactly (LeNet's pooling), on mtl's SIMD module
 * (channels.c, the same comparisons four channels at a time: 8.8 → ~2 ms at quickstart's first
 * pooling) or, without it, here: every dx element belongs to
 * one window and is written once (no zero fill, no read-modify-write); the same comparisons in the
 * same order as the general loop below (row-major, strict >, so the first maximum wins and NaN never
 * does). 17 → 11 ms at quickstart's first pooling (batch 256). Plain locals, not destructuring:
 * V8 left [a, b] = [c, d] allocating here, which cost the whole gain.
 */
function maxPoolGrad2x2(x: Float32Array, d: Float32Array, dx: Float32Array, g: PoolGeometry): void {
  const { c } = g;
  const row = g.w * c;
  let o = 0;
  for (let b = 0; b < g.n; b++) {
    for (let y = 0; y < g.oh; y++) {
      let i = (b * g.h + 2 * y) * row;
      for (let xo = 0; xo < g.ow; xo++, i += c) {
        for (let k = 0; k < c; k++, i++, o++) {
          const a0 = x[i];
          const a1 = x[i + c];
          const a2 = x[i + row];
          const a3 = x[i + row + c];
          let best = -Infinity;
          let at = -1;
          if (a0 > best) {
            best = a0;
            at = 0;
          }
          if (a1 > best) {
            best = a1;
            at = 1;
          }
          if (a2 > best) {
            best = a2;
            at = 2;
          }
          if (a3 > best) at = 3;
          const v = d[o];
          dx[i] = at === 0 ? v : 0;
          dx[i + c] = at === 1 ? v : 0;
          dx[i + row] = at === 2 ? v : 0;
          dx[i + row + c] = at === 3 ? v : 0;
        }
      }
    }
  }
}

const tiles2x2 = (g: PoolGeometry) => g.fh === 2 && g.fw === 2 && g.sh === 2 && g.sw === 2 && g.top === 0 && g.left === 0 && g.h === 2 * g.oh && g.w === 2 * g.ow;

const geometryArgs = (g: PoolGeometry) => [g.n, g.h, g.w, g.c, g.oh, g.ow, g.fh, g.fw, g.sh, g.sw, g.top, g.left] as const;

/** What a 2×2 pooling's codes describe: its input's data and where the per-image NaN flags start. */
interface CodesNote {
  x: object;
  count: number;
}

/** The codes a pooled output carries, if any (tests use it to see which path a gradient takes). */
export const poolCodes = (y: { dataId: object }): Info | undefined => attachment(y, 'codes')?.info;

/**
 * What the coded gradient below leaves on the dx it writes, for the gradients of the convolution that
 * made the pooling's input (wasm-conv-pooled.ts): the codes, the pooled output's gradient dp, and
 * whether dx is masked by a relu. Keyed by dx's data; each read checks that both are still alive.
 */
export interface PooledGradient {
  codes: Info;
  dp: Info;
  relu: boolean;
}
const pooledGradients = new WeakMap<object, PooledGradient>();

/** dx's pooled source (above), if it has one whose data is still alive. */
export function pooledGradient(backend: BackendWasm, dx: { dataId: object }): PooledGradient | undefined {
  const p = pooledGradients.get(dx.dataId);
  return p && backend.dataIdMap.has(p.codes.dataId) && backend.dataIdMap.has(p.dp.dataId) ? p : undefined;
}

/** Whether tfjs is recording a gradient tape (then an op's backward pass may follow). */
const recording = (): boolean => (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;

/** MaxPool on pool.c; tfjs-backend-wasm's own kernel without the module or for other dtypes. */
export function maxPool(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: Info };
  const k = simdKernels(backend);
  if (!k || x.dtype !== 'float32' || x.shape.length !== 4) return originalKernel('MaxPool').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  const g = poolGeometry('MaxPool', x, null, args.attrs ?? {});
  const out = backend.makeOutput([g.n, g.oh, g.ow, g.c], 'float32');
  if (tiles2x2(g) && g.c >= 4 && recording()) {
    // The codes, then a byte per image: 1 when it may hold a NaN.
    const count = g.n * g.oh * g.ow * g.c;
    const codes = backend.makeOutput([count + g.n], 'bool');
    const at = heapOffset(backend, codes);
    k.max_pool_2x2_codes(heapOffset(backend, x), heapOffset(backend, out), at, at + count, g.n, g.oh, g.ow, g.c);
    attach(backend, out, 'codes', codes, { x: x.dataId, count } satisfies CodesNote);
    return out;
  }
  k.max_pool(heapOffset(backend, x), heapOffset(backend, out), ...geometryArgs(g));
  return out;
}

export function maxPoolGrad(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const g = poolGeometry('MaxPoolGrad', input, dy, args.attrs ?? {});
  const out = backend.makeOutput(input.shape, 'float32');
  const k = simdKernels(backend);
  if (k && tiles2x2(g)) {
    // After a fused relu: its mask in the same pass (its gradient then skips it).
    const relu = isReluOutput(input);
    const { output } = args.inputs as { output?: Info };
    const coded = output && attachment(output, 'codes');
    const note = coded?.note as CodesNote | undefined;
    if (coded && note!.x === input.dataId && !heapView(backend, coded.info).subarray(note!.count).includes(1)) {
      // Each image's column sums of dx on the way (the bias gradient when a layer's own: wasm-elementwise.ts).
      const sums = backend.makeOutput([g.n, g.c], 'float32');
      k.max_pool_grad_2x2_codes(heapOffset(backend, coded.info), heapOffset(backend, dy), heapOffset(backend, out), heapOffset(backend, sums), g.n, g.oh, g.ow, g.c, relu ? 1 : 0);
      attach(backend, out, IMAGE_SUMS, sums);
      pooledGradients.set(out.dataId, { codes: coded.info, dp: dy, relu });
    } else {
      k.max_pool_grad_2x2(heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, out), g.n, g.oh, g.ow, g.c, relu ? 1 : 0);
    }
    if (relu) markMaskedBy(out, input);
    return out;
  }
  if (k) {
    k.max_pool_grad(heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, out), ...geometryArgs(g));
    return out;
  }
  const [x, d, dx] = [heapF32(backend, input), heapF32(backend, dy), heapF32(backend, out)];
  if (tiles2x2(g)) {
    maxPoolGrad2x2(x, d, dx, g);
    return out;
  }
  dx.fill(0);
  const { n, h, w, c, oh, ow, sh, sw, fh, fw, top, left } = g;
  let dyOff = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const r0 = Math.max(y * sh - top, 0);
      const r1 = Math.min(y * sh - top + fh, h);
      for (let xo = 0; xo < ow; xo++, dyOff += c) {
        const c0 = Math.max(xo * sw - left, 0);
        const c1 = Math.min(xo * sw - left + fw, w);
        // Channel outermost within the window: the running maximum stays in registers, and the
        // window's few rows of C-channel pixels stay in cache across channels.
        for (let k = 0; k < c; k++) {
          let best = -Infinity;
          let at = -1;
          for (let r = r0; r < r1; r++) {
            const end = ((b * h + r) * w + c1) * c + k;
            for (let i = ((b * h + r) * w + c0) * c + k; i < end; i += c) {
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += d[dyOff + k];
        }
      }
    }
  }
  return out;
}

export function avgPoolGrad(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const g = poolGeometry('AvgPoolGrad', input, dy, args.attrs ?? {});
  const out = backend.makeOutput(input.shape, 'float32');
  const [d, dx] = [heapF32(backend, dy), heapF32(backend, out)];
  dx.fill(0);
  const scale = 1 / (g.fh * g.fw);
  forEachWindow(g, (dyOff, r0, r1, c0, c1, b) => {
    for (let r = r0; r < r1; r++) {
      for (let col = c0; col < c1; col++) {
        const base = ((b * g.h + r) * g.w + col) * g.c;
        for (let k = 0; k < g.c; k++) dx[base + k] += d[dyOff + k] * scale;
      }
    }
  });
  return out;
}
