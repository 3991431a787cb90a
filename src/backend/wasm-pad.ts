// Owns PadV2 of the spatial axes of NHWC float32 tensors (a zeroPadding2d layer, e.g. a ResNet's
// stem) for the WASM backend, on mtl's SIMD module (channels.c's pad_hw: one contiguous copy per
// image row, the border filled around it); every other case goes to tfjs-backend-wasm's own kernel,
// which computes an index per element (~8 ms for 3 pixels around 256 28×28 images, ~1 ms here).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel, type Info, type KernelArgs } from './wasm-ops';
import { heapOffset, simdKernels } from './wasm-simd';

export function padV2(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: Info };
  const { paddings, constantValue } = args.attrs as unknown as tf.PadV2Attrs;
  const k = simdKernels(backend);
  const spatial = x.shape.length === 4 && paddings.length === 4 && [0, 3].every((a) => paddings[a][0] === 0 && paddings[a][1] === 0) && paddings.every(([b, e]) => b >= 0 && e >= 0);
  if (!k || x.dtype !== 'float32' || !spatial) return originalKernel('PadV2').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  const [n, h, w, c] = x.shape;
  const [oh, ow] = [h + paddings[1][0] + paddings[1][1], w + paddings[2][0] + paddings[2][1]];
  const out = backend.makeOutput([n, oh, ow, c], 'float32');
  k.pad_hw(heapOffset(backend, x), heapOffset(backend, out), n, h, w, c, oh, ow, paddings[1][0], paddings[2][0], constantValue);
  return out;
}
