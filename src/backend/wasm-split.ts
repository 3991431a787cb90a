// Owns how mtl's SIMD kernels are cut across the kernel pool's threads (wasm-kernel-pool.ts) under tfjs's
// threaded WASM build — the one place the split rules live. startKernelThreads() wraps the object
// simdKernels() hands out, so call sites stay unchanged; a kernel is split only when its work is large
// enough to pay for the dispatch (~10–30 µs to wake a worker, measured), and only while other processes
// leave the pool's threads their cores (KernelPool.threads reads 1 otherwise), else it runs as before:
//   conv2d_forward(_cvec), pad_hw, max_pool, max_pool_grad(_2x2), the max pooling codes kernels: over images (pointers advance by an
//     image's floats; a padded input's one-image scratch is per chunk);
//   conv2d_filter_grad: over taps (each chunk computes its rows of dw over every image; a padded input's
//     one-image scratch and the kernel's own scratch per chunk);
//   sgemm, sgemm_at (accumulate 0), sgemm_packed: over rows of C in multiples of 4 (the kernels' blocks;
//     sgemm_packed with its own scratch per chunk);
//   relu_grad, bias_relu: over contiguous ranges / rows;
//   conv2d_filter_grad_pooled: over filter ranges (each chunk sums its filters' terms over every image);
//   conv2d_input_grad_pooled: over images; both with scratch of their own per chunk.
// Every chunk writes memory no other chunk touches and sums its outputs' terms in one thread's order, so
// every split kernel gives the same bits as on one thread: a run's numbers do not depend on --threads. The CRF and recurrent kernels stay on the calling thread (sequential sweeps).
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { KernelPool, MAX_CHUNKS, type PoolOptions } from './wasm-kernel-pool';
import { memoryOf, SGEMM_SCRATCH, simdKernels, simdModule, useSplitKernels, type SimdKernels } from './wasm-simd';

/** The kernels that can be split, by index (the pool's task words name them so). */
const NAMES = ['conv2d_forward', 'conv2d_forward_cvec', 'conv2d_filter_grad', 'pad_hw', 'sgemm', 'sgemm_at', 'sgemm_packed', 'max_pool', 'max_pool_grad', 'max_pool_grad_2x2', 'max_pool_2x2_codes', 'max_pool_grad_2x2_codes', 'relu_grad', 'bias_relu', 'conv2d_filter_grad_pooled', 'conv2d_input_grad_pooled'] as const;
type Name = (typeof NAMES)[number];
const FN = Object.fromEntries(NAMES.map((n, i) => [n, i])) as Record<Name, number>;

/**
 * Multiply-adds ×2 below which a product or convolution stays on one thread (~0.4 ms at ~20 GFLOPS).
 * On 2 shared cores, splitting ~0.3 ms kernels made them ~2× slower (a worker preempted mid-chunk
 * holds the main thread up); the large ones still paid.
 */
export const MIN_FLOPS = 8e6;
/** Floats touched below which a memory-bound kernel stays on one thread. */
export const MIN_FLOATS = 512 * 1024;
/** Chunks per thread for splits with no per-chunk scratch (claimed dynamically: evens out late workers). */
const CHUNKS_PER_THREAD = 4;

/** [start, count] of `parts` near-equal pieces of 0…total, starts multiples of align. */
export function ranges(total: number, parts: number, align = 1): Array<[number, number]> {
  const blocks = Math.ceil(total / align);
  const p = Math.max(1, Math.min(parts, blocks, MAX_CHUNKS));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < p; i++) {
    const [b0, b1] = [Math.floor((i * blocks) / p), Math.floor(((i + 1) * blocks) / p)];
    const [s, e] = [b0 * align, Math.min(b1 * align, total)];
    if (e > s) out.push([s, e - s]);
  }
  return out;
}

/** args with the given positions replaced. */
const withArgs = (args: number[], set: Record<number, number>): number[] => args.map((a, i) => set[i] ?? a);

/** Heap scratch of `floats` floats for the duration of f (the backend's own allocator). */
function withHeap<T>(backend: BackendWasm, floats: number, f: (ptr: number) => T): T {
  if (floats === 0) return f(0);
  const info = backend.makeOutput([floats], 'float32');
  try {
    return f(backend.dataIdMap.get(info.dataId)!.memoryOffset);
  } finally {
    backend.disposeData(info.dataId);
  }
}

type Args = number[];
type Raw = Record<Name, (...a: Args) => void>;

/**
 * The image arguments of conv.c's kernels for chunk i from image s on (x at 1, xImage at 2, c at 4, the
 * raw source at rawAt: conv-pad.h). x read where it lies advances by images; a padded input is one
 * image's scratch the kernel pads each raw image into, so each chunk but the first gets its own
 * (xImage floats at `pads`) and the raw pointer advances instead.
 */
function imageArgs(a: Args, rawAt: number, s: number, i: number, pads: number): Record<number, number> {
  const [x, xImage, c, raw, rawH, rawW] = [a[1], a[2], a[4], a[rawAt], a[rawAt + 1], a[rawAt + 2]];
  if (!raw) return { 1: x + 4 * s * xImage };
  return { 1: i === 0 ? x : pads + 4 * (i - 1) * xImage, [rawAt]: raw + 4 * s * rawH * rawW * c };
}

/** The forward convolutions (conv2d_forward and its _cvec twin: the same arguments) over images. */
function convForward(name: 'conv2d_forward' | 'conv2d_forward_cvec', raw: Raw, pool: KernelPool, backend: BackendWasm) {
  return (...a: Args): void => {
    const [n, , xImage, , c, fh, fw, , , , oh, ow, oc, y, yImage] = a;
    if (pool.threads === 1 || n < 2 || 2 * n * oh * ow * oc * fh * fw * c < MIN_FLOPS) return raw[name](...a);
    const parts = ranges(n, pool.threads * CHUNKS_PER_THREAD);
    withHeap(backend, a[23] ? (parts.length - 1) * xImage : 0, (pads) => {
      pool.run(FN[name], parts.map(([s, cnt], i) => withArgs(a, { 0: cnt, ...imageArgs(a, 23, s, i, pads), 13: y + 4 * s * yImage })));
    });
  };
}

/**
 * `parts` near-equal tap ranges of 0…taps, starting at multiples of the coarsest of 12, 6, 4, 1 that
 * keeps the largest within 3 % of an even share: whole blocks of conv.c's 4 and 3 taps and conv-c1.h's
 * 2–4 where that costs no balance (81 taps in 2: 40 + 41, not 36 + 45).
 */
export function tapRanges(taps: number, parts: number): Array<[number, number]> {
  for (const align of [12, 6, 4]) {
    const r = ranges(taps, parts, align);
    if (r.length === Math.min(parts, taps) && Math.max(...r.map(([, n]) => n)) <= (1.03 * taps) / r.length) return r;
  }
  return ranges(taps, parts);
}

/**
 * The filter gradient over tap ranges (rows of dw): chunk i computes dw's rows k0…k1 wholly over
 * every image — the kernel's tap0/tap1 —, so every weight sums the same terms in the same order as on
 * one thread, and a run's numbers do not depend on its thread count. Ranges are near-equal
 * (tapRanges: a 5-row filter no longer splits 3:2 as it did over filter rows). One range per thread: each chunk
 * reads all of x and dy (and the single-channel path transposes dy per image), so more would cost
 * more passes. Each chunk but the first gets scratch of its own: the kernel's (conv-c1.h's transposed
 * dy and partial sums) and, when the kernel pads the input itself, one image's padded copy.
 */
function filterGrad(k: SimdKernels, raw: Raw, pool: KernelPool, backend: BackendWasm) {
  return (...a: Args): void => {
    const [n, , xImage, , c, fh, fw, , sw, , oh, ow, oc, , scratch] = a;
    const taps = fh * fw * c;
    // Work: the products, and dw read and written once per image (what dominates a 1×1 output).
    if (pool.threads === 1 || taps < 2 || 2 * n * taps * oc * (oh * ow + 4) < MIN_FLOPS) return raw.conv2d_filter_grad(...a);
    const parts = tapRanges(taps, pool.threads);
    const more = scratch ? k.conv2d_filter_grad_scratch(c, fh, fw, sw, oh, ow, oc) : 0;
    const pads = a[15] ? xImage : 0;
    withHeap(backend, (parts.length - 1) * (more + pads), (extra) => {
      const own = (i: number, at: number, floats: number, first: number) => (i === 0 || !floats ? first : extra + 4 * (i - 1) * (more + pads) + 4 * at);
      pool.run(FN.conv2d_filter_grad, parts.map(([k0, cnt], i) => withArgs(a, { 1: own(i, more, pads, a[1]), 14: own(i, 0, more, scratch), 20: k0, 21: k0 + cnt })));
    });
  };
}

/** Multiply-adds ×2 of conv-pooled.c's kernels at most (every pooled value a term): 4 lanes per vector tap. */
const pooledFlops = (n: number, ph: number, pw: number, oc: number, fh: number, fw: number, c: number) => 8 * n * ph * pw * oc * fh * Math.ceil((fw * c) / 4);

/**
 * conv2d_filter_grad_pooled over filter ranges (o0, o1): chunk i sums its filters' terms over every
 * image, in the same order as one call over all filters, so the bits do not depend on the thread count.
 * One range per thread (each chunk walks all of x); each chunk but the first gets scratch of its own.
 */
function pooledFilterGrad(k: SimdKernels, raw: Raw, pool: KernelPool, backend: BackendWasm) {
  return (...a: Args): void => {
    const [n, , , , c, fh, fw, , , ph, pw, oc, , , scratch] = a;
    if (pool.threads === 1 || oc < 2 || pooledFlops(n, ph, pw, oc, fh, fw, c) < MIN_FLOPS) return raw.conv2d_filter_grad_pooled(...a);
    const parts = ranges(oc, pool.threads);
    const floats = parts.map(([, cnt]) => k.conv2d_filter_grad_pooled_scratch(cnt, fh, fw, c, ph, pw));
    withHeap(backend, floats.slice(1).reduce((t, f) => t + f, 0), (more) => {
      const at = (i: number) => (i === 0 ? scratch : more + 4 * floats.slice(1, i).reduce((t, f) => t + f, 0));
      pool.run(FN.conv2d_filter_grad_pooled, parts.map(([o0, cnt], i) => withArgs(a, { 14: at(i), 15: o0, 16: o0 + cnt })));
    });
  };
}

/** conv2d_input_grad_pooled over images (each chunk writes its own dx images), each chunk with its own scratch. */
function pooledInputGrad(k: SimdKernels, raw: Raw, pool: KernelPool, backend: BackendWasm) {
  return (...a: Args): void => {
    const [n, codes, dp, ph, pw, oc, , , c, fh, fw, dx, , xImage] = a;
    if (pool.threads === 1 || n < 2 || pooledFlops(n, ph, pw, oc, fh, fw, c) < MIN_FLOPS) return raw.conv2d_input_grad_pooled(...a);
    const parts = ranges(n, pool.threads * CHUNKS_PER_THREAD);
    const floats = k.conv2d_input_grad_pooled_scratch(oc, fh, fw, c);
    withHeap(backend, parts.length * floats, (more) => {
      const chunk = ([s, cnt]: [number, number], i: number) => withArgs(a, { 0: cnt, 1: codes + s * ph * pw * oc, 2: dp + 4 * s * ph * pw * oc, 11: dx + 4 * s * xImage, 14: more + 4 * i * floats });
      pool.run(FN.conv2d_input_grad_pooled, parts.map(chunk));
    });
  };
}

/** k with the splittable kernels spread over pool (rules in the header). */
export function splitKernels(k: SimdKernels, pool: KernelPool, backend: BackendWasm): SimdKernels {
  const raw = k as unknown as Raw;
  const many = () => pool.threads * CHUNKS_PER_THREAD;
  const over = (name: Name, args: Args, total: number, parts: number, align: number, set: (s: number, c: number) => Record<number, number>): void => {
    if (pool.threads === 1 || total < 2 * align) return raw[name](...args);
    pool.run(FN[name], ranges(total, parts, align).map(([s, c]) => withArgs(args, set(s, c))));
  };
  // Kernels over images whose operand at position p advances by perImage[p] bytes an image.
  const byteImages = (name: Name, nAt: number, perImage: Record<number, number>, a: Args): void => {
    const bytes = Object.values(perImage).reduce((t, b) => t + b, 0) * a[nAt];
    if (bytes < 4 * MIN_FLOATS) return raw[name](...a);
    over(name, a, a[nAt], many(), 1, (s, cnt) => ({ [nAt]: cnt, ...Object.fromEntries(Object.entries(perImage).map(([at, b]) => [at, a[Number(at)] + s * b])) }));
  };
  // The same with every per-image operand float32, [n, rows, cols, c]-shaped: positions → floats per image.
  const images = (name: Name, nAt: number, perImage: Record<number, number>, a: Args): void =>
    byteImages(name, nAt, Object.fromEntries(Object.entries(perImage).map(([at, f]) => [at, 4 * f])), a);
  const split: Record<Name, (...a: Args) => void> = {
    conv2d_forward: convForward('conv2d_forward', raw, pool, backend),
    conv2d_forward_cvec: convForward('conv2d_forward_cvec', raw, pool, backend),
    conv2d_filter_grad: filterGrad(k, raw, pool, backend),
    conv2d_filter_grad_pooled: pooledFilterGrad(k, raw, pool, backend),
    conv2d_input_grad_pooled: pooledInputGrad(k, raw, pool, backend),
    // pad_hw(x, out, n, h, w, c, oh, ow, …); max_pool(x, y, n, h, w, c, oh, ow, …); max_pool_grad(x, dy, dx, n, h, w, c, oh, ow, …)
    pad_hw: (...a) => images('pad_hw', 2, { 0: a[3] * a[4] * a[5], 1: a[6] * a[7] * a[5] }, a),
    max_pool: (...a) => images('max_pool', 2, { 0: a[3] * a[4] * a[5], 1: a[6] * a[7] * a[5] }, a),
    max_pool_grad: (...a) => images('max_pool_grad', 3, { 0: a[4] * a[5] * a[6], 1: a[7] * a[8] * a[6], 2: a[4] * a[5] * a[6] }, a),
    // max_pool_grad_2x2(x, dy, dx, n, oh, ow, c): x and dx images 2oh × 2ow.
    max_pool_grad_2x2: (...a) => images('max_pool_grad_2x2', 3, { 0: 4 * a[4] * a[5] * a[6], 1: a[4] * a[5] * a[6], 2: 4 * a[4] * a[5] * a[6] }, a),
    // max_pool_2x2_codes(x, y, codes, nans, n, oh, ow, c), max_pool_grad_2x2_codes(codes, dy, dx, sums, n, oh, ow, c, relu):
    // x and dx 4·oh·ow·c floats an image, y and dy oh·ow·c floats, codes oh·ow·c bytes, nans 1 byte, sums c floats.
    max_pool_2x2_codes: (...a) => byteImages('max_pool_2x2_codes', 4, { 0: 16 * a[5] * a[6] * a[7], 1: 4 * a[5] * a[6] * a[7], 2: a[5] * a[6] * a[7], 3: 1 }, a),
    max_pool_grad_2x2_codes: (...a) => byteImages('max_pool_grad_2x2_codes', 4, { 0: a[5] * a[6] * a[7], 1: 4 * a[5] * a[6] * a[7], 2: 16 * a[5] * a[6] * a[7], 3: 4 * a[7] }, a),
    sgemm: (...a) => {
      const [m, n, kk, pa, lda, , , pc, ldc, accumulate] = a;
      // accumulate stays whole: a chunk run again after a timeout (wasm-kernel-pool.ts) must give the same bits.
      if (accumulate || 2 * m * n * kk < MIN_FLOPS) return raw.sgemm(...a);
      over('sgemm', a, m, many(), 4, (s, cnt) => ({ 0: cnt, 3: pa + 4 * s * lda, 7: pc + 4 * s * ldc }));
    },
    sgemm_at: (...a) => {
      const [m, n, kk, pa, , , , pc, ldc, accumulate] = a;
      // Rows of C are columns of the A stored: a chunk's A starts s columns in.
      if (accumulate || 2 * m * n * kk < MIN_FLOPS) return raw.sgemm_at(...a);
      over('sgemm_at', a, m, many(), 4, (s, cnt) => ({ 0: cnt, 3: pa + 4 * s, 7: pc + 4 * s * ldc }));
    },
    sgemm_packed: (...a) => {
      const [m, n, kk, pa, lda, , , pc, ldc, accumulate, scratch] = a;
      if (pool.threads === 1 || accumulate || m < 8 || 2 * m * n * kk < MIN_FLOPS) return raw.sgemm_packed(...a);
      const parts = ranges(m, pool.threads, 4);
      withHeap(backend, (parts.length - 1) * SGEMM_SCRATCH, (more) => {
        const chunks = parts.map(([s, cnt], i) => withArgs(a, { 0: cnt, 3: pa + 4 * s * lda, 7: pc + 4 * s * ldc, 10: i === 0 ? scratch : more + 4 * (i - 1) * SGEMM_SCRATCH }));
        pool.run(FN.sgemm_packed, chunks);
      });
    },
    relu_grad: (...a) => {
      const [n, y, dy, dz] = a;
      if (3 * n < MIN_FLOATS) return raw.relu_grad(...a);
      over('relu_grad', a, n, many(), 16, (s, cnt) => ({ 0: cnt, 1: y + 4 * s, 2: dy + 4 * s, 3: dz + 4 * s }));
    },
    bias_relu: (...a) => {
      const [rows, cols, y] = a;
      if (2 * rows * cols < MIN_FLOATS) return raw.bias_relu(...a);
      over('bias_relu', a, rows, many(), 1, (s, cnt) => ({ 0: cnt, 2: y + 4 * s * cols }));
    },
  };
  return { ...k, ...split } as SimdKernels;
}

const pools = new WeakMap<object, KernelPool>();

/**
 * Runs mtl's kernels on `threads` threads on this (threaded) backend: starts the pool and has
 * simdKernels() hand out the split kernels. Returns the threads they run on (1 when the memory is not
 * shared or threads is 1), with a notice when the pool could not start.
 */
export function startKernelThreads(backend: BackendWasm, threads: number, opts: PoolOptions = {}): { kernelThreads: number; notice?: string } {
  const running = pools.get(backend);
  if (running) return { kernelThreads: running.size };
  const k = simdKernels(backend);
  const memory = memoryOf(backend);
  if (!k || !memory || threads <= 1 || !(memory.buffer instanceof SharedArrayBuffer)) return { kernelThreads: 1 };
  let pool: KernelPool | undefined;
  try {
    // The very module the main thread's kernels came from (the relaxed build or not).
    const module = simdModule(backend);
    if (!module) throw new Error('the kernel module was not found');
    const raw = k as unknown as Record<Name, (...a: number[]) => void>;
    pool = new KernelPool(module, memory, [...NAMES], NAMES.map((n) => raw[n].bind(k)), threads - 1, opts);
    pool.waitReady();
  } catch (e) {
    pool?.close();
    return { kernelThreads: 1, notice: `mtl's kernels run on 1 thread: ${(e as Error).message.split('\n')[0]}` };
  }
  pools.set(backend, pool);
  useSplitKernels(backend, splitKernels(k, pool, backend));
  // The pool ends with the backend.
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => {
    pool.close();
    dispose();
  };
  return { kernelThreads: pool.size };
}

/** The kernel pool running on this backend, if any. */
export function kernelPool(backend: BackendWasm): KernelPool | undefined {
  return pools.get(backend);
}
