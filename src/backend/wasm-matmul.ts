// Owns BatchMatMul and _FusedMatMul for the WASM backend. Float32 products with relu or no
// activation run on mtl's sgemm (gemm.c; sgemm_packed once B outgrows the cache), with + bias and
// relu in one pass after (elementwise.c). A transposed A is read where it lies (sgemm_at: a dense
// layer's weight gradient xᵀ·dy, whose x is the largest operand); a transposed B (or A on the packed
// path) is transposed once into a scratch copy first:  op(A)·op(B) = A'·B'  with A' = op(A), B' = op(B).
// XNNPACK, which tfjs hands untransposed products to, packs its right operand anew for every new
// tensor — every weight after an optimizer step, every gradient —, which dominated the small
// products of dense layers (~0.1–0.5 ms per call at quickstart's shapes); with transposeA or
// transposeB set tfjs runs its own scalar loops instead, ~10–15× slower still. Batch dims broadcast
// when one side's batch is 1 or both are equal. Other cases (other activations, prelu, other
// dtypes, bias not a vector over the columns, general broadcasting) go to tfjs's kernel, with
// transposed operands transposed explicitly first.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel, release, run, type Info, type KernelArgs } from './wasm-ops';
import { heapOffset, SGEMM_SCRATCH, simdKernels, type SimdKernels } from './wasm-simd';

type Name = 'BatchMatMul' | '_FusedMatMul';
interface MatAttrs {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: string;
}
/** Floats of B above which the packed product pays (B no longer stays in cache between row blocks). */
const PACK_ABOVE = 64 * 1024;

/** The last two axes swapped, as a new tensor on the heap. */
function transposeLast2(backend: BackendWasm, x: Info): Info {
  const r = x.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return run(backend, 'Transpose', { x }, { perm });
}

/** tfjs's kernel on untransposed operands. */
function untransposed(kernelName: Name, args: KernelArgs): Info {
  const original = originalKernel(kernelName);
  const backend = args.backend as BackendWasm;
  const attrs = (args.attrs ?? {}) as MatAttrs;
  const { a, b } = args.inputs as { a: Info; b: Info };
  if (kernelName === '_FusedMatMul' && a.shape.length === 2 && b.shape.length === 2) return batchOfOne(args, (a3) => untransposed('_FusedMatMul', a3));
  if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  const a2 = attrs.transposeA ? transposeLast2(backend, a) : a;
  const b2 = attrs.transposeB ? transposeLast2(backend, b) : b;
  try {
    const inputs = { ...args.inputs, a: a2, b: b2 };
    return original.kernelFunc({ inputs, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } } as Parameters<tf.KernelFunc>[0]) as Info;
  } finally {
    // Disposing the transposed copies also drops any XNNPACK operator cached for them.
    if (a2 !== a) release(backend, a2);
    if (b2 !== b) release(backend, b2);
  }
}

/**
 * tfjs's products read rank-3 operands only (one-kernel dense layers pass rank 2): `product` on a and b
 * with a batch axis of 1, the result without it (the reshapes share data).
 */
export function batchOfOne(args: KernelArgs, product: (args: KernelArgs) => Info): Info {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as { a: Info; b: Info };
  const [a3, b3] = [a, b].map((x) => run(backend, 'Reshape', { x }, { shape: [1, ...x.shape] }));
  try {
    const y = product({ ...args, inputs: { ...args.inputs, a: a3, b: b3 } });
    const y2 = run(backend, 'Reshape', { x: y }, { shape: y.shape.slice(1) });
    release(backend, y);
    return y2;
  } finally {
    release(backend, a3, b3);
  }
}

const count = (shape: number[]) => shape.reduce((x, y) => x * y, 1);

/** A [batch, rows, cols] operand as sgemm reads it: x itself, or xᵀ per batch in a scratch copy. */
function operand(backend: BackendWasm, k: SimdKernels, x: Info, transposed: boolean, rows: number, cols: number): { ptr: number; temp?: Info } {
  if (!transposed) return { ptr: heapOffset(backend, x) };
  const batch = count(x.shape.slice(0, -2));
  const temp = backend.makeOutput([batch, rows, cols], 'float32');
  const [src, dst] = [heapOffset(backend, x), heapOffset(backend, temp)];
  for (let i = 0; i < batch; i++) k.rnn_transpose(cols, rows, src + 4 * i * rows * cols, dst + 4 * i * rows * cols);
  return { ptr: dst, temp };
}

/** The product on sgemm, or null when the case is one for tfjs's kernel (see the header). */
function simdMatMul(args: KernelArgs): Info | null {
  const backend = args.backend as BackendWasm;
  const k = simdKernels(backend);
  const { a, b, bias, preluActivationWeights } = args.inputs as { a: Info; b: Info; bias?: Info; preluActivationWeights?: Info };
  const { transposeA: ta = false, transposeB: tb = false, activation = 'linear' } = (args.attrs ?? {}) as MatAttrs;
  const [ra, rb] = [a.shape.length, b.shape.length];
  if (!k || a.dtype !== 'float32' || b.dtype !== 'float32' || preluActivationWeights || ra < 2 || rb < 2) return null;
  if (activation !== 'linear' && activation !== 'relu') return null;
  const [m, ka] = ta ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [kb, n] = tb ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (ka !== kb || (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== n))) return null;
  const [batchA, batchB] = [count(a.shape.slice(0, -2)), count(b.shape.slice(0, -2))];
  let outBatch: number[];
  try {
    outBatch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return null; // tfjs's kernel says what is wrong
  }
  const batch = count(outBatch);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  const out = backend.makeOutput([...outBatch, m, n], 'float32');
  if (batch * m * n === 0) return out;
  const scratch = ka * n > PACK_ABOVE ? backend.makeOutput([SGEMM_SCRATCH], 'float32') : undefined;
  // sgemm_at reads a transposed A where it lies; sgemm_packed takes A as stored, so gets a copy.
  const readAt = ta && !scratch;
  const A = readAt ? { ptr: heapOffset(backend, a) } : operand(backend, k, a, ta, m, ka);
  const B = operand(backend, k, b, tb, ka, n);
  const c = heapOffset(backend, out);
  for (let i = 0; i < batch; i++) {
    const [pa, pb, pc] = [A.ptr + (batchA === 1 ? 0 : 4 * i * m * ka), B.ptr + (batchB === 1 ? 0 : 4 * i * ka * n), c + 4 * i * m * n];
    if (scratch) k.sgemm_packed(m, n, ka, pa, ka, pb, n, pc, n, 0, heapOffset(backend, scratch));
    else if (readAt) k.sgemm_at(m, n, ka, pa, m, pb, n, pc, n, 0);
    else k.sgemm(m, n, ka, pa, ka, pb, n, pc, n, 0);
  }
  if (bias || activation === 'relu') k.bias_relu(batch * m, n, c, bias ? heapOffset(backend, bias) : 0, activation === 'relu' ? 1 : 0);
  release(backend, ...[A.temp, B.temp, scratch].filter((t): t is Info => t !== undefined));
  return out;
}

export const batchMatMul = (args: KernelArgs): Info => simdMatMul(args) ?? untransposed('BatchMatMul', args);
export const fusedMatMul = (args: KernelArgs): Info => simdMatMul(args) ?? untransposed('_FusedMatMul', args);
