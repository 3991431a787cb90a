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
 * grows, so take them only after the last allocation of the kernel (makeOutput included). The
 * memory's own buffer is used because the threaded build refreshes Module.HEAPU8 lazily.
 */
export function heapF32(backend: BackendWasm, info: Info): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  const module = backend.wasm as unknown as { wasmMemory?: { buffer: ArrayBufferLike }; HEAPU8: Uint8Array };
  const buffer = module.wasmMemory ? module.wasmMemory.buffer : module.HEAPU8.buffer;
  const offset = backend.dataIdMap.get(info.dataId)!.memoryOffset;
  return new Float32Array(buffer, offset, tf.util.sizeFromShape(info.shape));
}
