// Owns the few helpers the WASM training kernels share: running a registered WASM kernel function
// directly on TensorInfos (no engine, no tape), releasing intermediates, and typed views of tensors
// that live on the WASM heap.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Info = tf.TensorInfo;
export type Attrs = tf.NamedAttrMap;
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: {};
  attrs?: Attrs;
}

export const BACKEND = 'wasm';

/** Runs one registered WASM kernel function and returns its single output. */
export function run(backend: BackendWasm, kernelName: string, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
  const kernel = tf.getKernel(kernelName, BACKEND);
  if (!kernel) throw new Error(`wasm kernel ${kernelName} is not registered`);
  const out = kernel.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${kernelName} returned ${out.length} outputs, expected 1`);
  return out;
}

export function release(backend: BackendWasm, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * A Float32Array view of a float32 tensor on the WASM heap (no copy). Views go stale when the heap
 * grows, so take them only after the last allocation of the kernel (makeOutput included).
 */
export function heapF32(backend: BackendWasm, info: Info): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info as tf.TensorInfo & { dtype: 'float32' }) as Float32Array;
}
