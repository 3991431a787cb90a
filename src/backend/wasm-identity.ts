// Owns Identity and same-dtype Cast for the WASM backend without a copy: the output shares the
// input's heap buffer (one more reference), as the cpu backend and tfjs-backend-wasm's own Reshape
// do. tfjs tensors are immutable, so a shared buffer is never written through either of them.
// tfjs-backend-wasm copies instead: three copies of LeNet's 2 M-value first activation per training
// step (gradients of relu and of the bias add go through Identity and Cast), ~3 ms at batch 256.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel, type Info, type KernelArgs } from './wasm-ops';

function share(backend: BackendWasm, x: Info, dtype: tf.DataType = x.dtype): Info {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype };
}

export function identity(args: KernelArgs): Info {
  const { x } = args.inputs as { x: Info };
  if (x.dtype === 'string') return originalKernel('Identity').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  return share(args.backend as BackendWasm, x);
}

export function cast(args: KernelArgs): Info {
  const { x } = args.inputs as { x: Info };
  const { dtype } = (args.attrs ?? {}) as unknown as tf.CastAttrs;
  if (x.dtype !== dtype || dtype === 'string') return originalKernel('Cast').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  return share(args.backend as BackendWasm, x);
}
