// Owns choosing the tfjs backend at run time and recording which one really ran (and whether a
// GPU was used: tfjs-node-gpu falls back to the CPU silently when CUDA libraries are missing).
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { MtlError } from '../errors';
import { registerWasmTrainingKernels } from './wasm-kernels';
import { simdFused, simdKernels, simdLoadError } from './wasm-simd';
import { startKernelThreads } from './wasm-split';
import { startWasm } from './wasm-threads';

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** The npm package that provides the backend, e.g. '@tensorflow/tfjs-node-gpu'. */
  package: string;
  gpu: boolean;
  gpuDevice?: string;
  /** Backends tried before this one, and why each failed. */
  tried: Array<{ name: string; error: string }>;
  /** tensorflow only: the native package's version, e.g. '4.22.0'. */
  version?: string;
  /** tensorflow only: the libtensorflow it runs on (TF_Version()): 2.9.1 as npm downloads it, or a locally built one's. */
  libtensorflow?: string;
  /** WASM: threads its kernels run on. tensorflow: TensorFlow's CPU threads (intra-op pool). */
  threads?: number;
  /** WASM only: whether mtl's own SIMD kernels (src/backend/simd) run; tfjs's own kernels run when not. */
  simdKernels?: boolean;
  /** WASM only: whether those kernels are the relaxed-SIMD build, with fused multiply-adds (MTL_FMA=0: no). */
  fma?: boolean;
  /** WASM only: threads mtl's own SIMD kernels run on (their pool under the threaded build; 1 otherwise). */
  kernelThreads?: number;
  /** One line for the user when something asked for did not happen (e.g. threads fell back to 1). */
  notice?: string;
}

export interface BackendOptions {
  /** WASM threads; default: the cores not already busy (see defaultWasmThreads). */
  threads?: number;
}

type NativePackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';

const HOW_TO_GET_TENSORFLOW =
  'run `npm install @tensorflow/tfjs-node-gpu` (NVIDIA GPU: needs CUDA 11.2 and cuDNN 8.1) or ' +
  '`npm install @tensorflow/tfjs-node` (CPU only); both download libtensorflow 2.9.1 while installing, ' +
  'so they need internet access (without it, tfjs-node can be built against a local TensorFlow wheel: ' +
  'docs/backends.md). Or use --backend wasm';

/**
 * The two optional native packages. Literal names so bundlers and readers see them; required
 * lazily inside the caller's try/catch because they are usually not installed.
 */
function loadNative(pkg: NativePackage): { version?: string } {
  if (pkg === '@tensorflow/tfjs-node-gpu') {
    require('@tensorflow/tfjs-node-gpu');
    return require('@tensorflow/tfjs-node-gpu/package.json');
  }
  require('@tensorflow/tfjs-node');
  return require('@tensorflow/tfjs-node/package.json');
}

/**
 * TensorFlow's CPU threads. libtensorflow reads TF_NUM_INTRAOP_THREADS (the pool its kernels split
 * over) and TF_NUM_INTEROP_THREADS once, when it creates its first device, so `threads` must be set
 * before then; a count set by the user in the environment is kept when `threads` is not given.
 * Unset, TensorFlow uses every CPU the process may run on.
 */
function tensorflowThreads(threads: number | undefined): number {
  if (threads !== undefined) {
    process.env.TF_NUM_INTRAOP_THREADS = String(threads);
    process.env.TF_NUM_INTEROP_THREADS = String(threads);
  }
  return Number(process.env.TF_NUM_INTRAOP_THREADS) || os.availableParallelism();
}

/** The version of the libtensorflow under the active tensorflow backend (tfjs-node's binding). */
function libtensorflowVersion(): string | undefined {
  const v = (tf.backend() as unknown as { binding?: { TF_Version?: unknown } }).binding?.TF_Version;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Heuristic for "tfjs-node-gpu really uses the GPU". libtensorflow dlopen()s the CUDA runtime and
 * cuDNN (with cuBLAS, cuFFT, ...) when it creates its devices, i.e. on the first op; if any of them
 * is missing it logs "Cannot dlopen some GPU libraries ... Skipping registering GPU devices" and
 * runs everything on the CPU without failing. So, after one op has run: GPU in use ⇔ libcudart and
 * libcudnn are both mapped into this process (Linux only; elsewhere we report no GPU).
 */
function gpuInUse(): boolean {
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    return /libcudart\.so/.test(maps) && /libcudnn/.test(maps);
  } catch {
    return false;
  }
}

/** The first GPU's name from nvidia-smi, or undefined when nvidia-smi is absent or fails. */
function gpuName(): string | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const first = out.trim().split('\n')[0]?.trim();
    return first || undefined;
  } catch {
    return undefined;
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

async function activate(name: BackendInfo['name']): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend ${name} was set but ${tf.getBackend()} is active`);
}

async function tryTensorflow(tried: BackendInfo['tried'], opts: BackendOptions): Promise<BackendInfo | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const) {
    try {
      const threads = tensorflowThreads(opts.threads);
      const { version } = loadNative(pkg);
      await activate('tensorflow');
      // One small op makes libtensorflow create its devices (and load CUDA, if it can).
      tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
      const gpu = pkg === '@tensorflow/tfjs-node-gpu' && gpuInUse();
      const info: BackendInfo = { name: 'tensorflow', package: pkg, gpu, tried, version, libtensorflow: libtensorflowVersion(), threads };
      if (gpu) {
        const device = gpuName();
        if (device) info.gpuDevice = device;
      }
      return info;
    } catch (e) {
      tried.push({ name: pkg, error: firstLine(e) });
    }
  }
  return undefined;
}

/**
 * Makes `requested` the active tfjs backend and says what really runs. 'auto' tries, in order,
 * tfjs-node-gpu, tfjs-node, WASM, then the pure-JS CPU backend. Explicitly requested backends that
 * cannot start are usage errors.
 */
export async function selectBackend(requested: BackendName, opts: BackendOptions = {}): Promise<BackendInfo> {
  // Production mode only silences tfjs's own console warnings, such as the
  // "Hi, looks like you are running TensorFlow.js in Node.js" banner of the CPU backend.
  tf.enableProdMode();
  const tried: BackendInfo['tried'] = [];
  if (requested === 'tensorflow' || requested === 'auto') {
    const info = await tryTensorflow(tried, opts);
    if (info) return info;
    if (requested === 'tensorflow') {
      throw new MtlError('usage', [
        {
          where: {},
          message: `--backend tensorflow is not available (${tried.map((t) => `${t.name}: ${t.error}`).join('; ')})`,
          hint: HOW_TO_GET_TENSORFLOW,
        },
      ]);
    }
  }
  if (requested === 'wasm' || requested === 'auto') {
    try {
      registerWasmTrainingKernels();
      const started = await startWasm(opts.threads);
      await activate('wasm');
      return { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, tried, ...withKernelThreads(withSimdStatus(started)) };
    } catch (e) {
      if (requested === 'wasm') throw new MtlError('usage', `--backend wasm could not start: ${firstLine(e)}`, { cause: e });
      tried.push({ name: '@tensorflow/tfjs-backend-wasm', error: firstLine(e) });
    }
  }
  await activate('cpu');
  return { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, tried };
}

/**
 * Adds whether mtl's SIMD kernels loaded on the active wasm backend; when they did not, tfjs's own
 * (slower, same results) kernels run and the notice says why.
 */
export function withSimdStatus<T extends { notice?: string }>(started: T, backend = tf.backend() as unknown as BackendWasm): T & { simdKernels: boolean; fma?: boolean; notice?: string } {
  const ok = simdKernels(backend) !== null;
  if (ok) return { ...started, simdKernels: true, fma: simdFused(backend) };
  const why = `mtl's SIMD kernels did not load (${simdLoadError(backend)}); tfjs's own, slower kernels run instead`;
  return { ...started, simdKernels: false, notice: started.notice ? `${started.notice}; ${why}` : why };
}

/**
 * Starts mtl's kernels on the threads the backend was started for (wasm-split.ts: the threaded build
 * runs tfjs's own kernels on one thread, wasm-threads.ts); a notice when they could not.
 */
function withKernelThreads<T extends { threads: number; simdKernels: boolean; notice?: string }>(started: T): T & { kernelThreads?: number } {
  if (!started.simdKernels) return { ...started, threads: getThreadsCount() };
  const { kernelThreads, notice } = startKernelThreads(tf.backend() as unknown as BackendWasm, started.threads);
  if (!notice) return { ...started, kernelThreads };
  return { ...started, threads: kernelThreads, kernelThreads, notice: started.notice ? `${started.notice}; ${notice}` : notice };
}

/** Short, for progress output: `wasm, 2 threads`, or with the notice when threads fell back. */
export function backendLabel(info: BackendInfo): string {
  const lib = info.libtensorflow ? ` (libtensorflow ${info.libtensorflow})` : '';
  const threads = info.threads ? `, ${info.threads} thread${info.threads === 1 ? '' : 's'}` : '';
  return `${info.name}${lib}${threads}${info.notice ? ` (${info.notice})` : ''}`;
}

/** One line for humans, e.g. `tensorflow (@tensorflow/tfjs-node-gpu 4.22.0, libtensorflow 2.9.1, GPU: Tesla T4)`. */
export function describeBackend(info: BackendInfo): string {
  let where = '';
  if (info.name === 'tensorflow') where = info.gpu ? `, GPU${info.gpuDevice ? `: ${info.gpuDevice}` : ''}` : ', CPU';
  const versions = `${info.version ? ` ${info.version}` : ''}${info.libtensorflow ? `, libtensorflow ${info.libtensorflow}` : ''}`;
  const fallbacks = info.tried.length ? `; unavailable: ${info.tried.map((t) => t.name).join(', ')}` : '';
  return `${info.name} (${info.package}${versions}${where}${fallbacks})`;
}
