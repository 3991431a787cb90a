// Owns batch normalisation's training pass on the WASM backend as one kernel forward and one
// backward (mtl's SIMD kernels in batchnorm.c), with its gradient registered:
//   MtlBatchNormTrain      {x [..., C], scale [C], offset [C]} → [y, mean [C], variance [C]]
//   MtlBatchNormTrainGrad  {dy, x, scale, offset, mean, variance, dmean, dvariance} → [dx, dscale, doffset]
// With attr relu, y is max(y, 0) and the gradient first masks dy by step(y) (y recomputed).
// tfjs-layers composes the same step from moments (Mean, SquaredDifference, Mean), FusedBatchNorm and
// their gradients: ~30 kernels a layer, most of them broadcasting element-wise ones that walk an
// index per element on wasm (a ResNet-18 at 1/8 width spends ~60 of its ~215 ms a step there).
// The statistics are the batch's (biased variance, as tfjs's moments); dx is the full derivative,
// through the statistics (and from their own upstream gradients, zeros when only y is used).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND, release, type Info, type KernelArgs } from './wasm-ops';
import { heapOffset, simdKernels } from './wasm-simd';

export const BN_TRAIN = 'MtlBatchNormTrain';
const BN_TRAIN_GRAD = 'MtlBatchNormTrainGrad';

interface BnAttrs {
  varianceEpsilon: number;
  relu?: boolean;
}

/** [rows, channels] of x seen as a matrix with the channel axis last. */
const matrix = (x: Info): [number, number] => {
  const c = x.shape[x.shape.length - 1];
  return [tf.util.sizeFromShape(x.shape) / c, c];
};

function forward(args: KernelArgs): Info[] {
  const backend = args.backend as BackendWasm;
  const { x, scale, offset } = args.inputs as { x: Info; scale: Info; offset: Info };
  const { varianceEpsilon, relu } = args.attrs as unknown as BnAttrs;
  const [rows, c] = matrix(x);
  const [y, mean, variance, k] = [backend.makeOutput(x.shape, 'float32'), ...[0, 1, 2].map(() => backend.makeOutput([c], 'float32'))];
  const p = (t: Info) => heapOffset(backend, t);
  simdKernels(backend)!.bn_train_forward(rows, c, p(x), p(scale), p(offset), varianceEpsilon, p(y), p(mean), p(variance), p(k), relu ? 1 : 0);
  release(backend, k);
  return [y, mean, variance];
}

function backward(args: KernelArgs): Info[] {
  const backend = args.backend as BackendWasm;
  const i = args.inputs as Record<'dy' | 'x' | 'scale' | 'offset' | 'mean' | 'variance' | 'dmean' | 'dvariance', Info>;
  const { varianceEpsilon, relu } = args.attrs as unknown as BnAttrs;
  const [rows, c] = matrix(i.x);
  const [dx, dscale, doffset, coef] = [backend.makeOutput(i.x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([3 * c], 'float32')];
  const masked = relu ? backend.makeOutput(i.x.shape, 'float32') : i.dy;
  const p = (t: Info) => heapOffset(backend, t);
  const k = simdKernels(backend)!;
  if (relu) k.bn_relu_mask(rows, c, p(i.x), p(i.dy), p(i.scale), p(i.offset), p(i.mean), p(i.variance), varianceEpsilon, p(masked), p(coef));
  k.bn_train_backward(rows, c, p(i.x), p(masked), p(i.scale), p(i.mean), p(i.variance), varianceEpsilon, p(i.dmean), p(i.dvariance), p(dx), p(dscale), p(doffset), p(coef));
  release(backend, coef);
  if (relu) release(backend, masked);
  return [dx, dscale, doffset];
}

let registered = false;

/** Registers the two kernels (wasm) and the forward kernel's gradient, once. */
export function registerBatchNormKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: BN_TRAIN, backendName: BACKEND, kernelFunc: forward as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: BN_TRAIN_GRAD, backendName: BACKEND, kernelFunc: backward as unknown as tf.KernelFunc });
  tf.registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ['x', 'scale', 'offset'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dmean, dvariance] = dys as tf.Tensor[];
      const [x, scale, offset, mean, variance] = saved;
      const inputs = { dy, x, scale, offset, mean, variance, dmean, dvariance };
      const [dx, dscale, doffset] = tf.engine().runKernel(BN_TRAIN_GRAD, inputs, attrs) as tf.Tensor[];
      return { x: () => dx, scale: () => dscale, offset: () => doffset };
    },
  });
}
