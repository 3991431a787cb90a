// Owns switching the bench between tfjs-backend-wasm's own kernels and mtl's replacements, so
// "before" and "after" are timed in one process, on the same stretch of load.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, REPLACED_KERNELS } from '../src/backend/wasm-kernels';
import { batchOfOne } from '../src/backend/wasm-matmul';
import type { Info, KernelArgs } from '../src/backend/wasm-ops';

/** tfjs-backend-wasm kernels that mtl replaces (the rest of mtl's kernels are ones tfjs lacks). */
export const REPLACED = REPLACED_KERNELS;

const originals = new Map<string, tf.KernelConfig>();

/** Call before the WASM backend is first selected: keeps tfjs-backend-wasm's own registrations. */
export function keepOriginalKernels(): void {
  for (const name of REPLACED) {
    const k = tf.getKernel(name, 'wasm');
    if (k && !originals.has(name)) originals.set(name, { ...k } as tf.KernelConfig);
  }
}

/**
 * tfjs-backend-wasm's products read rank-3 operands only, and mtl's one-kernel dense layers pass rank 2
 * (mtl's own product kernels take them): tfjs's kernel then gets a batch axis of 1 (wasm-matmul.ts's
 * batchOfOne; the reshapes share data, so "before" times tfjs's own product).
 */
function withBatchAxis(k: tf.KernelConfig): tf.KernelConfig {
  const product = (args: KernelArgs) => k.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    return a.shape.length === 2 && b.shape.length === 2 ? batchOfOne(args as KernelArgs, product) : k.kernelFunc(args);
  };
  return { ...k, kernelFunc };
}

/** 'tfjs': tfjs-backend-wasm's own kernels for `names` (set up on the live backend); 'mtl': the replacements. */
export function useKernels(which: 'tfjs' | 'mtl', names: readonly string[] = REPLACED): void {
  if (which === 'mtl') return registerWasmTrainingKernels();
  for (const name of names) {
    const k = originals.get(name);
    if (!k) throw new Error(`no original ${name}: call keepOriginalKernels() first (replaced kernels: ${REPLACED.join(', ')})`);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(name === 'BatchMatMul' || name === '_FusedMatMul' ? withBatchAxis(k) : k);
    k.setupFunc?.(tf.backend());
  }
}
