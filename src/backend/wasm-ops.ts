// Owns the few helpers the WASM training kernels share: running a registered WASM kernel function
// directly on TensorInfos (no engine, no tape), releasing intermediates, typed views of tensors
// that live on the WASM heap, and heap data one kernel leaves attached to a tensor's data for another.
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

const originals = new Map<string, tf.KernelConfig>();

/** Keeps tfjs-backend-wasm's own registration of a kernel that mtl replaces (never mtl's own). */
export function keepOriginal(kernelName: string, replacement: tf.KernelFunc): void {
  const k = tf.getKernel(kernelName, BACKEND);
  if (k && k.kernelFunc !== replacement) originals.set(kernelName, k);
}

/** tfjs-backend-wasm's own kernel for the cases a replacement leaves to it. */
export function originalKernel(kernelName: string): tf.KernelConfig {
  const k = originals.get(kernelName);
  if (!k) throw new Error(`wasm ${kernelName}: tfjs-backend-wasm's kernel was not kept`);
  return k;
}

/** Runs the kept kernels' set-up (their C function bindings) when the backend starts. */
export function setupOriginals(backend: {}): void {
  for (const k of originals.values()) k.setupFunc?.(backend as tf.KernelBackend);
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
  return heapView(backend, info) as Float32Array;
}

export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** The whole WASM heap as bytes (for copyWithin between tensors; same caveats as heapF32). */
export function heapBytes(backend: BackendWasm): Uint8Array {
  const module = backend.wasm as unknown as { wasmMemory?: { buffer: ArrayBufferLike }; HEAPU8: Uint8Array };
  return new Uint8Array(module.wasmMemory ? module.wasmMemory.buffer : module.HEAPU8.buffer);
}

/** A typed view of a float32, int32 or bool tensor on the WASM heap (same caveats as heapF32). */
export function heapView(backend: BackendWasm, info: Info): HeapArray {
  const buffer = heapBytes(backend).buffer;
  const offset = backend.dataIdMap.get(info.dataId)!.memoryOffset;
  const n = tf.util.sizeFromShape(info.shape);
  if (info.dtype === 'float32') return new Float32Array(buffer, offset, n);
  if (info.dtype === 'int32') return new Int32Array(buffer, offset, n);
  if (info.dtype === 'bool') return new Uint8Array(buffer, offset, n);
  throw new Error(`no heap view for dtype ${info.dtype}`);
}

/**
 * The key of a gradient's per-image column sums ([n, c] floats for a gradient [n, …, c]; each image's
 * terms summed in a fixed order): sum_rows over them in image order gives the column sums over all
 * images with the same bits whatever the threads.
 */
export const IMAGE_SUMS = 'image-sums';

/** Heap data attached to a tensor's data, by key, with what the attaching kernel noted about it. */
const attachments = new WeakMap<object, Map<string, { info: Info; note: unknown }>>();
const freeing = new WeakSet<object>();

/**
 * Attaches heap data `info` to owner's data under `key` (a pooling's codes for its gradient, a
 * gradient's column sums for a bias gradient), freed when owner's data is freed — never before, so
 * a later kernel can find it for as long as the owner exists.
 */
export function attach(backend: BackendWasm, owner: Info, key: string, info: Info, note: unknown = null): void {
  if (!freeing.has(backend)) {
    freeing.add(backend);
    const dispose = backend.disposeData.bind(backend);
    backend.disposeData = (dataId: object, force?: boolean): boolean => {
      const freed = dispose(dataId, force);
      const held = attachments.get(dataId);
      if (held && !backend.dataIdMap.has(dataId)) {
        attachments.delete(dataId);
        for (const a of held.values()) dispose(a.info.dataId, true);
      }
      return freed;
    };
  }
  const held = attachments.get(owner.dataId) ?? new Map<string, { info: Info; note: unknown }>();
  const old = held.get(key);
  if (old) backend.disposeData(old.info.dataId, true);
  held.set(key, { info, note });
  attachments.set(owner.dataId, held);
}

/** The data attached to owner's data under key, if any. */
export const attachment = (owner: { dataId: object }, key: string): { info: Info; note: unknown } | undefined => attachments.get(owner.dataId)?.get(key);

/**
 * rows [n, k] · m [k, c] straight on the WASM kernel, bypassing the engine (no tensors to create,
 * track and download), written into `into` [n, c]: for the fused recurrent ops' many small per-step
 * products. False when the active backend is not wasm or m's data is not on it; the caller then
 * uses tf.matMul.
 */
export function wasmRowsTimes(rows: Float32Array, n: number, m: tf.Tensor2D, into: Float32Array): boolean {
  if (tf.getBackend() !== BACKEND || m.dtype !== 'float32') return false;
  const backend = tf.backend() as unknown as BackendWasm;
  if (!backend.dataIdMap.has(m.dataId)) return false;
  const a = backend.makeOutput([n, rows.length / n], 'float32');
  heapF32(backend, a).set(rows);
  let out: Info;
  try {
    out = run(backend, 'BatchMatMul', { a, b: m }, { transposeA: false, transposeB: false });
  } finally {
    release(backend, a);
  }
  into.set(heapF32(backend, out));
  release(backend, out);
  return true;
}

/** Copies a float32 tensor's data on the WASM heap into `into` (no allocation); false elsewhere. */
export function wasmReadInto(t: tf.Tensor, into: Float32Array): boolean {
  if (tf.getBackend() !== BACKEND || t.dtype !== 'float32') return false;
  const backend = tf.backend() as unknown as BackendWasm;
  if (!backend.dataIdMap.has(t.dataId)) return false;
  into.set(heapF32(backend, t as unknown as Info));
  return true;
}
