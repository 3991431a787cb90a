// Owns GatherV2 along axis 0 for the WASM backend (embedding lookups and their like): one row copy
// per index on the heap. tfjs-backend-wasm's kernel checks each index through a closure and then
// gathers element by element (~1 ms for a [64, 16] batch of token ids into a 32-wide table); other
// axes and batch dims stay on it.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapView, originalKernel, type Info, type KernelArgs } from './wasm-ops';

export function gatherV2(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x, indices } = args.inputs as { x: Info; indices: Info };
  const { axis, batchDims } = (args.attrs ?? {}) as unknown as tf.GatherV2Attrs;
  const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0];
  if (parsedAxis !== 0 || (batchDims ?? 0) !== 0 || indices.dtype !== 'int32' || x.dtype === 'string' || x.dtype === 'complex64') {
    return originalKernel('GatherV2').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  }
  const rows = x.shape[0];
  const width = tf.util.sizeFromShape(x.shape.slice(1));
  const ids = heapView(backend, indices) as Int32Array;
  for (const i of ids) if (!(i >= 0 && i < rows)) throw new Error(`GatherV2: the index value ${i} is not in [0, ${rows - 1}]`);
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  if (width === 0) return out;
  const [src, dst, at] = [heapView(backend, x), heapView(backend, out), heapView(backend, indices) as Int32Array];
  for (let k = 0; k < at.length; k++) dst.set(src.subarray(at[k] * width, (at[k] + 1) * width), k * width);
  return out;
}
