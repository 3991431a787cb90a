// Owns how mtl's SIMD kernels are cut across the kernel pool's threads (wasm-kernel-pool.ts) under tfjs's
// threaded WASM build — the one place the split rules live. startKernelThreads() wraps the object
// simdKernels() hands out, so call sites stay unchanged; a kernel is split only when its work is large
// enough to pay for the dispatch (~10–30 µs to wake a worker, measured), else it runs as before:
//   conv2d_forward, pad_nhwc, max_pool_grad_2x2: over images (pointers advance by an image's floats);
//   conv2d_filter_grad: over images into one partial dw per chunk on heap scratch, summed in chunk
//     order by sum_rows (so the sum's order differs from one thread's: ~1 ulp per added term);
//   sgemm (accumulate 0), sgemm_packed: over rows of A and C in multiples of 4 (the kernels' blocks;
//     sgemm_packed with its own scratch per chunk);
//   relu_grad, bias_relu: over contiguous ranges / rows.
// Every chunk writes memory no other chunk touches, so forward convolutions and products give the same
// bits as on one thread. The CRF and recurrent kernels stay on the calling thread (sequential sweeps).
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { KernelPool, MAX_CHUNKS, type PoolOptions } from './wasm-kernel-pool';
import { memoryOf, SGEMM_SCRATCH, simdKernels, simdModule, useSplitKernels, type SimdKernels } from './wasm-simd';

/** The kernels that can be split, by index (the pool's task words name them so). */
const NAMES = ['conv2d_forward', 'pad_nhwc', 'conv2d_filter_grad', 'sgemm', 'sgemm_packed', 'max_pool_grad_2x2', 'relu_grad', 'bias_relu'] as const;
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
  const info = backend.makeOutput([floats], 'float32');
  try {
    return f(backend.dataIdMap.get(info.dataId)!.memoryOffset);
  } finally {
    backend.disposeData(info.dataId);
  }
}

type Args = number[];

/** k with the splittable kernels spread over pool (rules in the header). */
export function splitKernels(k: SimdKernels, pool: KernelPool, backend: BackendWasm): SimdKernels {
  const raw = k as unknown as Record<Name, (...a: number[]) => void>;
  const many = () => pool.threads * CHUNKS_PER_THREAD;
  const over = (name: Name, args: Args, total: number, parts: number, align: number, set: (s: number, c: number, i: number) => Record<number, number>): void => {
    if (pool.threads === 1 || total < 2 * align) return raw[name](...args);
    pool.run(FN[name], ranges(total, parts, align).map(([s, c], i) => withArgs(args, set(s, c, i))));
  };
  const split: Record<Name, (...a: Args) => void> = {
    conv2d_forward: (...a) => {
      const [n, x, xImage, , c, fh, fw, , , , oh, ow, oc, y, yImage] = a;
      if (2 * n * oh * ow * oc * fh * fw * c < MIN_FLOPS) return raw.conv2d_forward(...a);
      over('conv2d_forward', a, n, many(), 1, (s, cnt) => ({ 0: cnt, 1: x + 4 * s * xImage, 13: y + 4 * s * yImage }));
    },
    pad_nhwc: (...a) => {
      const [n, h, w, c, x, ph, pw, , , out] = a;
      if (n * (h * w + ph * pw) * c < MIN_FLOATS) return raw.pad_nhwc(...a);
      over('pad_nhwc', a, n, many(), 1, (s, cnt) => ({ 0: cnt, 4: x + 4 * s * h * w * c, 9: out + 4 * s * ph * pw * c }));
    },
    conv2d_filter_grad: (...a) => {
      const [n, x, xImage, , c, fh, fw, , sw, dy, oh, ow, oc, dw, scratch] = a;
      const size = fh * fw * c * oc;
      // Work: the products, and dw read and written once per image (what dominates a 1×1 output).
      if (pool.threads === 1 || n < 2 || 2 * n * size * (oh * ow + 4) < MIN_FLOPS) return raw.conv2d_filter_grad(...a);
      const parts = ranges(n, pool.threads);
      // Each chunk: its partial dw, and its own scratch when the kernel takes some (the first keeps the caller's).
      const more = scratch ? k.conv2d_filter_grad_scratch(c, fh, fw, sw, oh, ow, oc) : 0;
      withHeap(backend, parts.length * size + (parts.length - 1) * more, (partials) => {
        const own = (i: number) => (i === 0 || !scratch ? scratch : partials + 4 * (parts.length * size + (i - 1) * more));
        pool.run(FN.conv2d_filter_grad, parts.map(([s, cnt], i) => withArgs(a, { 0: cnt, 1: x + 4 * s * xImage, 9: dy + 4 * s * oh * ow * oc, 13: partials + 4 * i * size, 14: own(i) })));
        k.sum_rows(partials, parts.length, size, dw);
      });
    },
    sgemm: (...a) => {
      const [m, n, kk, pa, lda, , , pc, ldc, accumulate] = a;
      // accumulate stays whole: a chunk run again after a timeout (wasm-kernel-pool.ts) must give the same bits.
      if (accumulate || 2 * m * n * kk < MIN_FLOPS) return raw.sgemm(...a);
      over('sgemm', a, m, many(), 4, (s, cnt) => ({ 0: cnt, 3: pa + 4 * s * lda, 7: pc + 4 * s * ldc }));
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
    max_pool_grad_2x2: (...a) => {
      const [x, dy, dx, n, oh, ow, c] = a;
      const [image, dyImage] = [4 * oh * ow * c, oh * ow * c]; // floats of an x (and dx) image, of a dy image
      if (n * (2 * image + dyImage) < MIN_FLOATS) return raw.max_pool_grad_2x2(...a);
      over('max_pool_grad_2x2', a, n, many(), 1, (s, cnt) => ({ 0: x + 4 * s * image, 1: dy + 4 * s * dyImage, 2: dx + 4 * s * image, 3: cnt }));
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
  if (running) return { kernelThreads: running.threads };
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
  return { kernelThreads: pool.threads };
}

/** The kernel pool running on this backend, if any. */
export function kernelPool(backend: BackendWasm): KernelPool | undefined {
  return pools.get(backend);
}
