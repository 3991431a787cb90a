// Owns BatchMatMul and _FusedMatMul for the WASM backend when an operand is transposed.
// tfjs-backend-wasm hands a product to XNNPACK only when neither operand is transposed; with
// transposeA or transposeB set it runs its own scalar loops, ~10–15× slower at the shapes of dense
// layers' backward passes (dW = xᵀ·dy, dx = dy·Wᵀ). Here a transposed operand is transposed once
// explicitly (one pass over it) and the product goes to tfjs's own kernel untransposed:
//   op(A)·op(B) with op(M) = Mᵀ when flagged  =  A'·B'  with A' = op(A), B' = op(B) materialised.
// Batched products (rank > 2) transpose the last two axes only; the result is the same tensor.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel, release, run, type Info, type KernelArgs } from './wasm-ops';

/** The last two axes swapped, as a new tensor on the heap. */
function transposeLast2(backend: BackendWasm, x: Info): Info {
  const r = x.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return run(backend, 'Transpose', { x }, { perm });
}

function untransposed(kernelName: 'BatchMatMul' | '_FusedMatMul', args: KernelArgs): Info {
  const original = originalKernel(kernelName);
  const backend = args.backend as BackendWasm;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const { a, b } = args.inputs as { a: Info; b: Info };
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

export const batchMatMul = (args: KernelArgs): Info => untransposed('BatchMatMul', args);
export const fusedMatMul = (args: KernelArgs): Info => untransposed('_FusedMatMul', args);
