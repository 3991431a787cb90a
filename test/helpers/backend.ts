// Test helper: pick a tfjs backend for a test file.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels';

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') registerWasmTrainingKernels();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} could not be initialised`);
  await tf.ready();
}
