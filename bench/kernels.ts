// Owns switching the bench between tfjs-backend-wasm's own kernels and mtl's replacements, so
// "before" and "after" are timed in one process, on the same stretch of load.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, REPLACED_KERNELS } from '../src/backend/wasm-kernels';

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

/** 'tfjs': tfjs-backend-wasm's own kernels for `names` (set up on the live backend); 'mtl': the replacements. */
export function useKernels(which: 'tfjs' | 'mtl', names: readonly string[] = REPLACED): void {
  if (which === 'mtl') return registerWasmTrainingKernels();
  for (const name of names) {
    const k = originals.get(name);
    if (!k) throw new Error(`no original ${name}: call keepOriginalKernels() first (replaced kernels: ${REPLACED.join(', ')})`);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(k);
    k.setupFunc?.(tf.backend());
  }
}
