// Owns the WASM backend's training kernels: the ones tfjs-backend-wasm lacks (Conv2DBackpropFilter in
// wasm-conv-filter.ts,
// UnsortedSegmentSum, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput),
// faster replacements for ones it has (Conv2D and FusedConv2D on few channels in wasm-conv-forward.ts,
// Conv2DBackpropInput in wasm-conv-input.ts, MaxPool, MaxPoolGrad and AvgPoolGrad in wasm-pool-grads.ts,
// Identity and same-dtype Cast without a copy in wasm-identity.ts, Tile as block copies in
// wasm-tile.ts, BatchMatMul and _FusedMatMul with a transposed operand in wasm-matmul.ts, broadcast
// comparisons and Reverse in wasm-elementwise.ts, GatherV2 along axis 0 in wasm-gather.ts, Concat,
// Slice, SplitV, Pack and Unpack in wasm-layout.ts, PadV2 of the spatial axes in wasm-pad.ts, Sum and Mean over leading axes and Add of a trailing vector in
// wasm-channels.ts), a probability head's cross-entropy as one kernel each way and the softmax's
// gradient as one (wasm-xent.ts), and
// their registration.
//
// The missing ones are composed from kernels the WASM backend already has (Transpose, Conv2D,
// DepthwiseConv2dNative, Slice, Reshape, PadV2, Reverse, Sum, ScatterNd). They call those kernels'
// functions directly with the backend, the way tfjs backends compose kernels themselves: every
// intermediate is a TensorInfo on the WASM heap that is released
// with backend.disposeData, so nothing passes through the engine (no tensors to track or leak,
// nothing recorded on a gradient tape).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { add, mean, sum } from './wasm-channels';
import { conv2DBackpropFilter, swappedRolesConv } from './wasm-conv-filter';
import { conv2D, fusedConv2D } from './wasm-conv-forward';
import { conv2DBackpropInput, correlationPads, cropTo, spread } from './wasm-conv-input';
import { comparisonKernels, reverse } from './wasm-elementwise';
import { concat, pack, slice, splitV, unpack } from './wasm-layout';
import { gatherV2 } from './wasm-gather';
import { cast, identity } from './wasm-identity';
import { tile } from './wasm-tile';
import { batchMatMul, fusedMatMul } from './wasm-matmul';
import { BACKEND, keepOriginal, release, run, setupOriginals, type Attrs, type Info } from './wasm-ops';
import { registerReductionGradients } from './reduce-grads';
import { installWasmClone } from './wasm-engine';
import { padV2 } from './wasm-pad';
import { avgPoolGrad, maxPool, maxPoolGrad } from './wasm-pool-grads';
import { SOFTMAX_GRADIENT, XENT_GRADIENT, XENT_KERNELS } from './wasm-xent';

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum: out[s, ...] = Σ_{i: ids[i] = s} x[i, ...], out shape [numSegments, ...rest].
// ScatterNd with indices ids[:, None] adds duplicate indices, which is exactly this, in
// O(size of x). Ids outside [0, numSegments) are dropped (as TensorFlow does): they are redirected
// to an extra row that is sliced off, because ScatterNd would otherwise write out of bounds.
// segmentIds of rank k > 1 follow TensorFlow: they index the first k dims of x.
// ---------------------------------------------------------------------------------------------

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: Attrs }): Info {
  const backend = args.backend as BackendWasm;
  const { x, segmentIds } = args.inputs as { x: Info; segmentIds: Info };
  const { numSegments } = (args.attrs ?? {}) as unknown as tf.UnsortedSegmentSumAttrs;
  const idsRank = segmentIds.shape.length;
  const n = tf.util.sizeFromShape(segmentIds.shape);
  if (segmentIds.shape.join() !== x.shape.slice(0, idsRank).join()) {
    throw new Error(`UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`);
  }
  const rest = x.shape.slice(idsRank);
  const rowSize = tf.util.sizeFromShape(rest);
  const outShape = [numSegments, ...rest];

  // Validate ids on the JS side (they are small: one int per row).
  const ids = backend.readSync(segmentIds.dataId) as Int32Array;
  let valid = true;
  for (let i = 0; i < ids.length; i++) {
    if (!(ids[i] >= 0 && ids[i] < numSegments)) {
      valid = false;
      break;
    }
  }
  const rows = valid ? numSegments : numSegments + 1;
  let indices: Info;
  if (valid && segmentIds.dtype === 'int32') {
    indices = run(backend, 'Reshape', { x: segmentIds }, { shape: [n, 1] });
  } else {
    const fixed = new Int32Array(n);
    for (let i = 0; i < n; i++) fixed[i] = ids[i] >= 0 && ids[i] < numSegments ? ids[i] : numSegments;
    indices = backend.makeOutput([n, 1], 'int32', undefined, fixed);
  }
  const updates = run(backend, 'Reshape', { x }, { shape: [n, rowSize] });
  let out: Info;
  try {
    out = run(backend, 'ScatterNd', { indices, updates }, { shape: [rows, rowSize] });
  } finally {
    release(backend, indices, updates);
  }
  if (rows !== numSegments) {
    const kept = run(backend, 'Slice', { x: out }, { begin: [0, 0], size: [numSegments, rowSize] });
    release(backend, out);
    out = kept;
  }
  // Reshape only relabels the shape (it shares the data and bumps its refcount).
  const shaped = run(backend, 'Reshape', { x: out }, { shape: outShape });
  release(backend, out);
  return shaped;
}

// ---------------------------------------------------------------------------------------------
// Depthwise convolution gradients (needed by depthwiseConv2d layers, e.g. MobileNetV2). NHWC only,
// dilation 1 only (tfjs's gradient of depthwiseConv2d refuses dilations > 1 anyway).
// Filter w: [FH, FW, C, m]; dy: [N, OH, OW, C·m]; channel c·m + k of dy comes from w[:, :, c, k].
// ---------------------------------------------------------------------------------------------

function depthwiseGeometry(kernel: string, xShape: number[], filterShape: number[], attrs: Attrs) {
  const { strides, dilations, pad, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error(`wasm ${kernel}: dilations > 1 are not supported`);
  }
  return info;
}

// dw[i,j,c,k] = Σ_{n,oh,ow} x[n, i + oh·sh − pt, j + ow·sw − pl, c] · dy[n,oh,ow,c·m+k]: the same
// identity as Conv2DBackpropFilter, but channel c of x only meets channels c·m..c·m+m−1 of dy. So
// fold the batch into the channels and use a depthwise convolution (batch 1, N·C channels,
// multiplier m, dilation = stride), then sum the batch back out:
//   X'[0,h,w,(n,c)] = x[n,h,w,c]             F[oh,ow,(n,c),k] = dy[n,oh,ow,c·m+k]
//   Z = depthwise(X', F, dilation (sh,sw), pads and crop as for Conv2DBackpropFilter:
//       swappedRolesConv in wasm-conv-filter.ts) → [1, FH, FW, N·C·m]
//   dw = Σ_n Z reshaped to [FH, FW, N, C·m]
function depthwiseConv2dNativeBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: Attrs }): Info {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs ?? {};
  const filterShape = (attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs).filterShape;
  const info = depthwiseGeometry('DepthwiseConv2dNativeBackpropFilter', x.shape, filterShape, attrs);
  const [fh, fw, inC, mult] = filterShape;
  const { batchSize: n, inHeight, inWidth, outHeight, outWidth } = info;
  if (dy.shape.join() !== [n, outHeight, outWidth, inC * mult].join()) {
    throw new Error(`wasm DepthwiseConv2dNativeBackpropFilter: dy has shape [${dy.shape}], expected [${[n, outHeight, outWidth, inC * mult]}]`);
  }
  const xT = run(backend, 'Transpose', { x }, { perm: [1, 2, 0, 3] }); // [H, W, N, C]
  const xF = run(backend, 'Reshape', { x: xT }, { shape: [1, inHeight, inWidth, n * inC] });
  release(backend, xT);
  const dy5 = run(backend, 'Reshape', { x: dy }, { shape: [n, outHeight, outWidth, inC, mult] });
  const dyT = run(backend, 'Transpose', { x: dy5 }, { perm: [1, 2, 0, 3, 4] }); // [OH, OW, N, C, m]
  release(backend, dy5);
  const f = run(backend, 'Reshape', { x: dyT }, { shape: [outHeight, outWidth, n * inC, mult] });
  release(backend, dyT);
  let z: Info;
  try {
    z = swappedRolesConv(backend, 'DepthwiseConv2dNative', { x: xF, filter: f }, info, fh, fw);
  } finally {
    release(backend, xF, f);
  }
  const perSample = run(backend, 'Reshape', { x: z }, { shape: [fh, fw, n, inC * mult] });
  release(backend, z);
  const summed = run(backend, 'Sum', { x: perSample }, { axis: [2], keepDims: false });
  release(backend, perSample);
  const dw = run(backend, 'Reshape', { x: summed }, { shape: filterShape });
  release(backend, summed);
  return dw;
}

// dx is the stride-1 correlation of dy, upsampled by the stride (s−1 zeros after every element),
// with the spatially flipped filter:
//   dx[n,h,w,c] = Σ_{i',j',k} U[n, h + i' − (FH−1−pt), w + j' − (FW−1−pl), c·m+k] · w[FH−1−i', FW−1−j', c, k]
// U, the pads and the crop are those of Conv2DBackpropInput (wasm-conv-input.ts). For m > 1 the depthwise conv
// (filter [FH,FW,C·m,1]) gives [N,H,W,C·m], summed over k.
function depthwiseConv2dNativeBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: Attrs }): Info {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs ?? {};
  const inputShape = (attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs).inputShape;
  const info = depthwiseGeometry('DepthwiseConv2dNativeBackpropInput', inputShape, filter.shape, attrs);
  const [fh, fw, inC, mult] = filter.shape;
  const { batchSize: n, inHeight, inWidth, outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const cm = inC * mult;
  if (dy.shape.join() !== [n, outHeight, outWidth, cm].join()) {
    throw new Error(`wasm DepthwiseConv2dNativeBackpropInput: dy has shape [${dy.shape}], expected [${[n, outHeight, outWidth, cm]}]`);
  }

  const u = spread(backend, dy, sh, sw);
  const p = correlationPads(info);
  const flipped = run(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
  const f = run(backend, 'Reshape', { x: flipped }, { shape: [fh, fw, cm, 1] });
  release(backend, flipped);
  let z: Info;
  try {
    z = run(backend, 'DepthwiseConv2dNative', { x: u, filter: f }, { strides: [1, 1], pad: p.pads, dilations: [1, 1] } as unknown as tf.NamedAttrMap);
  } finally {
    release(backend, u, f);
  }
  z = cropTo(backend, z, p, [n, inHeight, inWidth, cm]);
  if (mult === 1) return z;
  const z5 = run(backend, 'Reshape', { x: z }, { shape: [n, inHeight, inWidth, inC, mult] });
  release(backend, z);
  const dx = run(backend, 'Sum', { x: z5 }, { axis: [4], keepDims: false });
  release(backend, z5);
  return dx;
}

const MISSING: tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: BACKEND, kernelFunc: conv2DBackpropFilter as tf.KernelFunc },
  { kernelName: 'UnsortedSegmentSum', backendName: BACKEND, kernelFunc: unsortedSegmentSum as tf.KernelFunc },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: BACKEND, kernelFunc: depthwiseConv2dNativeBackpropFilter as tf.KernelFunc },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: BACKEND, kernelFunc: depthwiseConv2dNativeBackpropInput as tf.KernelFunc },
  ...XENT_KERNELS,
];

/** Replacements of tfjs-backend-wasm's own kernels; they hand some cases back to the kept original. */
const REPLACING: Array<[string, tf.KernelFunc]> = [
  ['Conv2D', conv2D as tf.KernelFunc],
  ['FusedConv2D', fusedConv2D as tf.KernelFunc],
  ['Identity', identity as tf.KernelFunc],
  ['Cast', cast as tf.KernelFunc],
  ['Tile', tile as tf.KernelFunc],
  ['Conv2DBackpropInput', conv2DBackpropInput as tf.KernelFunc],
  ['MaxPool', maxPool as tf.KernelFunc],
  ['PadV2', padV2 as tf.KernelFunc],
  ['MaxPoolGrad', maxPoolGrad as tf.KernelFunc],
  ['AvgPoolGrad', avgPoolGrad as tf.KernelFunc],
  ['BatchMatMul', batchMatMul as tf.KernelFunc],
  ['_FusedMatMul', fusedMatMul as tf.KernelFunc],
  ['Reverse', reverse as tf.KernelFunc],
  ['Concat', concat as tf.KernelFunc],
  ['Slice', slice as tf.KernelFunc],
  ['SplitV', splitV as unknown as tf.KernelFunc],
  ['Pack', pack as tf.KernelFunc],
  ['Unpack', unpack as unknown as tf.KernelFunc],
  ['GatherV2', gatherV2 as tf.KernelFunc],
  ['Sum', sum as tf.KernelFunc],
  ['Mean', mean as tf.KernelFunc],
  ['Add', add as tf.KernelFunc],
  ...comparisonKernels,
];

/** The kernels tfjs-backend-wasm has and mtl replaces (the bench times both). */
export const REPLACED_KERNELS = REPLACING.map(([name]) => name);

/** Registers the kernels above for the 'wasm' backend, replacing any other registration. Idempotent. */
export function registerWasmTrainingKernels(): void {
  installWasmClone();
  registerReductionGradients();
  tf.registerGradient(XENT_GRADIENT);
  tf.registerGradient(SOFTMAX_GRADIENT);
  for (const [name, kernelFunc] of REPLACING) keepOriginal(name, kernelFunc);
  // The originals' set-up (C function bindings) runs when the backend starts, through the replacements'.
  const configs = [...MISSING, ...REPLACING.map(([kernelName, kernelFunc]) => ({ kernelName, backendName: BACKEND, kernelFunc, setupFunc: setupOriginals }))];
  for (const config of configs) {
    const current = tf.getKernel(config.kernelName, BACKEND);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel(config);
  }
}
