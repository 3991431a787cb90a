// Owns choosing the tfjs backend at run time and recording which one really ran (and whether a
// GPU was used: tfjs-node-gpu falls back to the CPU silently when CUDA libraries are missing).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { usageError } from '../errors';
import { registerWasmTrainingKernels } from './wasm-kernels';

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: 'tensorflow' | 'wasm' | 'cpu';
  package: string;
  gpu: boolean;
  gpuDevice?: string;
  tried: Array<{ name: string; error: string }>;
}

const HOW_TO_GET_TENSORFLOW =
  'install @tensorflow/tfjs-node-gpu (GPU: needs CUDA 11.2 and cuDNN 8.1) or @tensorflow/tfjs-node (CPU); ' +
  'their install downloads libtensorflow 2.9.1, so it needs internet access';

/** The two optional native packages; literal names, required lazily because they may be absent. */
function loadNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): void {
  if (pkg === '@tensorflow/tfjs-node-gpu') require('@tensorflow/tfjs-node-gpu');
  else require('@tensorflow/tfjs-node');
}

/**
 * libtensorflow loads the CUDA runtime and cuDNN only when it creates a GPU device; if they are
 * missing it logs a warning and runs on the CPU. So: GPU used ⇔ both libraries are mapped into
 * this process after the first op.
 */
function gpuInUse(): boolean {
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    return /libcudart\.so/.test(maps) && /libcudnn/.test(maps);
  } catch {
    return false;
  }
}

function gpuName(): string | undefined {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0];
  } catch {
    return undefined;
  }
}

async function activate(name: 'tensorflow' | 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') registerWasmTrainingKernels();
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

async function tryTensorflow(tried: BackendInfo['tried']): Promise<BackendInfo | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const) {
    try {
      loadNative(pkg);
      await activate('tensorflow');
      tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
      const gpu = pkg === '@tensorflow/tfjs-node-gpu' && gpuInUse();
      return { name: 'tensorflow', package: pkg, gpu, gpuDevice: gpu ? gpuName() : undefined, tried };
    } catch (e) {
      tried.push({ name: pkg, error: String((e as Error).message ?? e).split('\n')[0] });
    }
  }
  return undefined;
}

export async function selectBackend(requested: BackendName): Promise<BackendInfo> {
  const tried: BackendInfo['tried'] = [];
  if (requested === 'tensorflow' || requested === 'auto') {
    const info = await tryTensorflow(tried);
    if (info) return info;
    if (requested === 'tensorflow') {
      throw usageError([{ where: {}, message: `--backend tensorflow is not available (${tried.map((t) => `${t.name}: ${t.error}`).join('; ')})`, hint: HOW_TO_GET_TENSORFLOW }]);
    }
  }
  if (requested === 'wasm' || requested === 'auto') {
    try {
      await activate('wasm');
      return { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, tried };
    } catch (e) {
      if (requested === 'wasm') throw usageError(`--backend wasm could not start: ${(e as Error).message}`);
      tried.push({ name: '@tensorflow/tfjs-backend-wasm', error: (e as Error).message });
    }
  }
  await activate('cpu');
  return { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, tried };
}

export function describeBackend(info: BackendInfo): string {
  if (info.name === 'tensorflow') return `tensorflow (${info.package}${info.gpu ? `, GPU${info.gpuDevice ? ` ${info.gpuDevice}` : ''}` : ', CPU'})`;
  return `${info.name} (${info.package})`;
}
