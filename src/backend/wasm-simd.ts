// Owns mtl's own WASM SIMD kernels (src/backend/simd/*.c, built by scripts/build-kernels.js): loads
// the module that fits tfjs-backend-wasm's memory (shared under the threaded build), instantiated on
// that very memory so the kernels read and write tensors where they lie, and gives typed access to
// its functions. Pointers are byte offsets on the heap (backend.dataIdMap's memoryOffset).
//
// Where the engine accepts relaxed SIMD (Node ≥ 22 by default; Node 20 behind a V8 flag, set here),
// the relaxed build runs: its multiply-adds are fused (one rounding, about a fifth faster in the
// products). MTL_FMA=0 in the environment keeps the plain build, e.g. for bit-identical results on
// machines with and without FMA hardware.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { packageRoot } from '../util/paths';
import type { Info } from './wasm-ops';

/** The functions of src/backend/simd/*.c, as their C signatures (int and pointer alike: number). */
export interface SimdKernels {
  /** C[m×n] = A[m×k]·B[k×n] (or += when accumulate is 1); row-major, row strides in elements. */
  sgemm(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
  /** C[m×n] = Aᵀ·B (or += when accumulate is 1) for A stored [k×m] with row stride lda; otherwise as sgemm. */
  sgemm_at(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
  /** gemm.c: sgemm for large operands (B packed in cache-sized panels); scratch: SGEMM_SCRATCH floats. */
  sgemm_packed(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number, scratch: number): void;
  /** crf.c: y = e^x and y = ln x over n floats (the CRF kernels' own exp and log). */
  crf_exp(n: number, x: number, y: number): void;
  crf_log(n: number, x: number, y: number): void;
  /** crf.c: forward algorithm, NLL per row and the float64 state (α, log Z) for crf_backward. */
  crf_forward(b: number, T: number, K: number, e: number, a: number, start: number, end: number, tags: number, mask: number, nll: number, state: number, work: number): void;
  /** crf.c: gradients of Σ dy·NLL for emissions, transitions, start and end. */
  crf_backward(b: number, T: number, K: number, e: number, a: number, end: number, tags: number, mask: number, state: number, dy: number, dE: number, dA: number, dStart: number, dEnd: number, work: number): void;
  /** crf.c: Viterbi paths over each row's leading lengths[s] tokens. */
  crf_viterbi(b: number, T: number, K: number, e: number, a: number, start: number, end: number, lengths: number, out: number, work: number, back: number): void;
  /** conv.c: dw[fh·fw·c × oc] = Σ over images and output pixels of the input window ⊗ dy (every tap inside x, or raw padded into x image by image); only rows tap0 ≤ k < tap1 written. */
  conv2d_filter_grad(n: number, x: number, xImage: number, xRow: number, c: number, fh: number, fw: number, sh: number, sw: number, dy: number, oh: number, ow: number, oc: number, dw: number, scratch: number, raw: number, rawH: number, rawW: number, top: number, left: number, tap0: number, tap1: number): void;
  /** Floats of scratch conv2d_filter_grad takes for this geometry (0: none, pass a null pointer). */
  conv2d_filter_grad_scratch(c: number, fh: number, fw: number, sw: number, oh: number, ow: number, oc: number): number;
  /** conv-pooled.c: dw [fh, fw, c, oc] (filters o0 ≤ o < o1) of a stride-1 convolution whose output a 2×2 / 2 max pooling read, from its codes and pooled gradient dp [n, ph, pw, oc]; x padded, images xImage floats apart, rows wp pixels. */
  conv2d_filter_grad_pooled(n: number, x: number, xImage: number, wp: number, c: number, fh: number, fw: number, codes: number, dp: number, ph: number, pw: number, oc: number, relu: number, dw: number, scratch: number, o0: number, o1: number): void;
  conv2d_filter_grad_pooled_scratch(filters: number, fh: number, fw: number, c: number, ph: number, pw: number): number;
  /** conv-pooled.c: dx [n] images on the padded grid (xImage floats apart, rows wp pixels) of the same convolution, from the codes and dp, w [fh, fw, c, oc]. */
  conv2d_input_grad_pooled(n: number, codes: number, dp: number, ph: number, pw: number, oc: number, relu: number, w: number, c: number, fh: number, fw: number, dx: number, wp: number, xImage: number, scratch: number): void;
  conv2d_input_grad_pooled_scratch(oc: number, fh: number, fw: number, c: number): number;
  /** conv.c: y[n, oh, ow, oc] = Σ_k input window[k] · w[k, oc] (+ bias, relu; every tap inside x, data in rows/cols lo…hi; y strided). */
  conv2d_forward(n: number, x: number, xImage: number, xRow: number, c: number, fh: number, fw: number, sh: number, sw: number, w: number, oh: number, ow: number, oc: number, y: number, yImage: number, yRow: number, yPix: number, rowLo: number, rowHi: number, colLo: number, colHi: number, bias: number, relu: number, raw: number, rawH: number, rawW: number, top: number, left: number): void;
  /** conv.c: conv2d_forward with the filter as wT [oc, fh·fw·c] and the input channels (c a multiple of 4) as the vector axis. */
  conv2d_forward_cvec(n: number, x: number, xImage: number, xRow: number, c: number, fh: number, fw: number, sh: number, sw: number, wT: number, oh: number, ow: number, oc: number, y: number, yImage: number, yRow: number, yPix: number, rowLo: number, rowHi: number, colLo: number, colHi: number, bias: number, relu: number, raw: number, rawH: number, rawW: number, top: number, left: number): void;
  /** channels.c: out[c] = Σ_r x[r, c] over rows × cols. */
  sum_rows(x: number, rows: number, cols: number, out: number): void;
  /** channels.c: out[r, c] = x[r, c] + v[c]. */
  add_row(x: number, rows: number, cols: number, v: number, out: number): void;
  /** channels.c: out [n, oh, ow, c] = x [n, h, w, c] at (top, left), `value` around it. */
  pad_hw(x: number, out: number, n: number, h: number, w: number, c: number, oh: number, ow: number, top: number, left: number, value: number): void;
  /** channels.c: MaxPoolGrad of 2×2 windows at stride 2 tiling x [n, 2·oh, 2·ow, c] (relu 1: times step(x), see wasm-elementwise.ts). */
  max_pool_grad_2x2(x: number, dy: number, dx: number, n: number, oh: number, ow: number, c: number, relu: number): void;
  /** elementwise.c: dz = dy·step(y) over n floats (relu's gradient from its output). */
  relu_grad(n: number, y: number, dy: number, dz: number): void;
  /** elementwise.c: y[r, c] = y + bias[c] (bias not 0), then max(·, 0) when relu is 1; in place, rows × cols. */
  bias_relu(rows: number, cols: number, y: number, bias: number, relu: number): void;
  /** batchnorm.c: batch normalisation's training pass over [rows, cols] (see wasm-batchnorm.ts); k: cols, coef: 3·cols floats of scratch. */
  bn_train_forward(rows: number, cols: number, x: number, gamma: number, beta: number, eps: number, y: number, mean: number, variance: number, k: number, relu: number): void;
  bn_relu_mask(rows: number, cols: number, x: number, dy: number, gamma: number, beta: number, mean: number, variance: number, eps: number, g: number, k: number): void;
  bn_train_backward(rows: number, cols: number, x: number, dy: number, gamma: number, mean: number, variance: number, eps: number, gmean: number, gvar: number, dx: number, dgamma: number, dbeta: number, coef: number): void;
  /** optim.c: one variable's Adam / momentum SGD step, slots in place, the new weights to out (see optim.c). */
  adam_update(n: number, x: number, g: number, m: number, v: number, out: number, b1: number, b2: number, a1: number, a2: number, c1: number, c2: number, nlr: number, eps: number): void;
  momentum_update(n: number, x: number, g: number, acc: number, out: number, momentum: number, c: number, nesterov: number): void;
  /** pool.c: max pooling (first maximum by strict >) and its gradient, any window, stride and padding, NHWC. */
  max_pool(x: number, y: number, n: number, h: number, w: number, c: number, oh: number, ow: number, fh: number, fw: number, sh: number, sw: number, top: number, left: number): void;
  max_pool_grad(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number, fh: number, fw: number, sh: number, sw: number, top: number, left: number): void;
  /** pool.c: 2×2 / 2 max pooling tiling x [n, 2·oh, 2·ow, c ≥ 4], with a code byte per output value for its gradient and nans[b] = 1 when image b may hold a NaN. */
  max_pool_2x2_codes(x: number, y: number, codes: number, nans: number, n: number, oh: number, ow: number, c: number): void;
  /** channels.c: max_pool_grad_2x2 from max_pool_2x2_codes' codes instead of x, and each image's column sums of dx [n, c]. */
  max_pool_grad_2x2_codes(codes: number, dy: number, dx: number, sums: number, n: number, oh: number, ow: number, c: number, relu: number): void;
  /** rnn.c (the fused recurrent ops): C (+)= op(A)·B with op(A) = Aᵀ when transA is 1; dst = srcᵀ; column sums. */
  rnn_gemm(m: number, n: number, k: number, a: number, lda: number, transA: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
  rnn_transpose(rows: number, cols: number, src: number, dst: number): void;
  rnn_col_sums(n: number, g: number, a: number, out: number): void;
  /** One lstm / gru direction over the whole sequence, forwards and backwards (argument meanings in rnn.c). */
  lstm_forward(b: number, T: number, U: number, backwards: number, act: number, rec: number, gates: number, ur: number, mask: number, rmask: number, y: number, cprev: number, ac: number, hprev: number, work: number): void;
  lstm_backward(b: number, T: number, U: number, backwards: number, act: number, rec: number, gates: number, ur: number, mask: number, rmask: number, cprev: number, ac: number, dy: number, dz: number, work: number): void;
  gru_forward(b: number, T: number, U: number, backwards: number, act: number, rec: number, gates: number, ur: number, mask: number, rmask: number, y: number, hprev: number, rh: number, work: number): void;
  gru_backward(b: number, T: number, U: number, backwards: number, act: number, rec: number, gates: number, ur: number, mask: number, rmask: number, hprev: number, dy: number, dz: number, work: number): void;
}

/** Floats of scratch sgemm_packed needs (GEMM_KC · GEMM_NC in gemm.c). */
export const SGEMM_SCRATCH = 256 * 512;

// The few WebAssembly API types used here (tsconfig's lib has no DOM, where they are declared).
interface Memory { buffer: ArrayBufferLike }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What loading the module on one backend gave: the kernels (null: why in error) and where they came from. */
interface Loaded {
  kernels: SimdKernels | null;
  /** The kernels spread over threads (wasm-split.ts), handed out instead once set. */
  split?: SimdKernels;
  error?: string;
  /** The relaxed build, whose multiply-adds are fused. */
  fused: boolean;
  module?: object;
}
const loaded = new WeakMap<object, Loaded>();

/** The heap's Memory (exported by the plain build, imported by the threaded one). */
export function memoryOf(backend: BackendWasm): Memory | undefined {
  const m = backend.wasm as unknown as { wasmMemory?: Memory; asm?: { memory?: Memory } };
  return m.wasmMemory ?? m.asm?.memory;
}

export function simdModulePath(shared: boolean, relaxed = false): string {
  const name = `kernels${shared ? '-shared' : ''}${relaxed ? '-relaxed' : ''}.wasm`;
  return path.join(packageRoot(), 'src', 'backend', 'simd', name);
}

/** Whether the relaxed build is wanted (MTL_FMA=0 says no) and the engine compiles it. */
function relaxedUsable(bytes: Uint8Array): boolean {
  if (process.env.MTL_FMA === '0') return false;
  if (WebAssembly.validate(bytes)) return true;
  // Node 20 (V8 11.3) has relaxed SIMD behind this flag; V8 reads it when it compiles a module.
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(bytes);
}

function instantiate(memory: Memory): Loaded {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const relaxedBytes = fs.readFileSync(simdModulePath(shared, true));
  const fused = relaxedUsable(relaxedBytes);
  const module = new WebAssembly.Module(fused ? relaxedBytes : fs.readFileSync(simdModulePath(shared)));
  return { kernels: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels, fused, module };
}

/**
 * mtl's SIMD kernels on this backend's memory, or null when the backend is not wasm or the module
 * cannot be had (then callers keep their other path). Loaded once per backend.
 */
export function simdKernels(backend: BackendWasm | undefined = activeWasm()): SimdKernels | null {
  if (!backend) return null;
  const l = loaded.get(backend) ?? load(backend);
  return l.split ?? l.kernels;
}

function load(backend: BackendWasm): Loaded {
  let l: Loaded;
  try {
    const memory = memoryOf(backend);
    if (!memory) throw new Error("tfjs-backend-wasm's memory was not found");
    l = instantiate(memory);
  } catch (e) {
    l = { kernels: null, fused: false, error: String((e as Error).message ?? e).split('\n')[0] };
  }
  loaded.set(backend, l);
  return l;
}

/** From now on simdKernels(backend) hands out k: the kernels spread over threads (wasm-split.ts). */
export function useSplitKernels(backend: BackendWasm, k: SimdKernels): void {
  loaded.get(backend)!.split = k;
}

/** Whether the kernels loaded on this backend are the relaxed build, whose multiply-adds are fused. */
export function simdFused(backend: BackendWasm): boolean {
  return loaded.get(backend)?.fused ?? false;
}

/** The compiled WebAssembly.Module the kernels on this backend came from (e.g. for other threads to instantiate on the same shared memory). */
export function simdModule(backend: BackendWasm): object | undefined {
  return loaded.get(backend)?.module;
}

/** Why simdKernels() gave null on this backend (after it was called), or undefined when it loaded. */
export function simdLoadError(backend: BackendWasm): string | undefined {
  return loaded.get(backend)?.error;
}

function activeWasm(): BackendWasm | undefined {
  return tf.getBackend() === 'wasm' ? (tf.backend() as unknown as BackendWasm) : undefined;
}

/** mtl's kernels with the wasm backend whose heap they work on. */
export interface SimdHeap {
  k: SimdKernels;
  backend: BackendWasm;
}

/**
 * The kernels and the active wasm backend when the module is loaded and every given tensor's data is
 * on that backend; null otherwise (callers keep their other path).
 */
export function simdHeap(...tensors: Array<{ dataId: object }>): SimdHeap | null {
  const backend = activeWasm();
  const k = simdKernels(backend);
  if (!backend || !k || !tensors.every((t) => backend.dataIdMap.has(t.dataId))) return null;
  return { k, backend };
}

/** A tensor's byte offset on the WASM heap (what the kernels take as a pointer). */
export function heapOffset(backend: BackendWasm, info: Info): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}
