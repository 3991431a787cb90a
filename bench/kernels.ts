// Owns switching the bench between tfjs-backend-wasm's own kernels and mtl's replacements, so
// "before" and "after" are timed in one process, on the same stretch of load.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, REPLACED_KERNELS } from '../src/backend/wasm-kernels';
import { release, run, type Info } from '../src/backend/wasm-ops';

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
 * (mtl's own product kernels take them): tfjs's kernel then gets a batch axis of 1, the product
 * without it — the reshapes share data, so "before" times tfjs's own product.
 */
function withBatchAxis(k: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    if (a.shape.length !== 2 || b.shape.length !== 2) return k.kernelFunc(args);
    const backend = args.backend as BackendWasm;
    const [a3, b3] = [a, b].map((x) => run(backend, 'Reshape', { x }, { shape: [1, ...x.shape] }));
    try {
      const y = k.kernelFunc({ ...args, inputs: { ...args.inputs, a: a3, b: b3 } }) as Info;
      const y2 = run(backend, 'Reshape', { x: y }, { shape: y.shape.slice(1) });
      release(backend, y);
      return y2;
    } finally {
      release(backend, a3, b3);
    }
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
