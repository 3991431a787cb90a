// Owns starting tfjs-backend-wasm's threaded SIMD build under Node, which tfjs itself turns off there
// (tfjs issue #3830): its pthread worker is made from a blob: URL, which Node's worker_threads
// cannot load. Here the worker comes from a file instead:
//   1. the worker's source (shipped by tfjs-backend-wasm as a string) is written once to a file in
//      the OS temp folder, with a few lines added so that its 'load' message imports the threaded
//      module from its file in node_modules rather than from a Blob;
//   2. while the backend initialises, URL.createObjectURL hands out that file's path for the
//      worker's Blob, and os.cpus() reports at least 2·N cores, because the C++ side caps the pool
//      at half the logical cores (a hyper-threading guess that would give 1 thread on 2 cores);
//   3. the pool's workers are unref'd, so that they do not keep the process alive at the end.
// Everything patched in 2. is restored as soon as initialisation ends.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
// The module object itself (not an import namespace), so that its cpus() can be replaced in step 2.
import os from 'node:os';
import * as path from 'node:path';

/** tfjs-backend-wasm creates at most this many pool threads (its pthread pool size). */
export const MAX_WASM_THREADS = 8;

const INIT_TIMEOUT_MS = 20_000;

function wasmOutDir(): string {
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
}

/** The pthread worker as a file (written once per worker source), ready for worker_threads. */
function workerFile(): string {
  const dir = wasmOutDir();
  const mainScript = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The same escaping tfjs applies before making its Blob; then the 'load' message gets a path.
  const source =
    wasmWorkerContents.replace(/\n/g, '\\n') +
    `\n;(function(){var load=self.onmessage;self.onmessage=function(e){` +
    `if(e.data&&e.data.cmd==='load'&&typeof e.data.urlOrBlob!=='string')e.data.urlOrBlob=${JSON.stringify(mainScript)};` +
    `return load(e);};})();\n`;
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `mtl-tfjs-wasm-worker-${hash}.js`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, source);
    fs.renameSync(tmp, file);
  }
  return file;
}

type Cpus = typeof os.cpus;

/** Runs init with the two patches of step 2 in place, and undoes them afterwards. */
async function withPatches<T>(threads: number, worker: string, init: () => Promise<T>): Promise<T> {
  const createObjectURL = URL.createObjectURL;
  const cpus: Cpus = os.cpus;
  URL.createObjectURL = (obj: Blob) => (obj instanceof Blob && obj.type === 'application/javascript' ? worker : createObjectURL(obj));
  os.cpus = () => {
    const list = cpus();
    while (list.length > 0 && list.length < 2 * threads) list.push(list[0]);
    return list;
  };
  try {
    return await init();
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
}

interface PThreadModule {
  PThread?: { runningWorkers?: Array<{ unref(): void }>; unusedWorkers?: Array<{ unref(): void }>; pthreads?: Record<string, { unref(): void }> };
}

/** Step 3: pool threads run forever; unref'd, their workers end with the process. */
function unrefWorkers(): void {
  const p = ((tf.backend() as unknown as { wasm: PThreadModule }).wasm ?? {}).PThread;
  if (!p) return;
  for (const w of [...(p.runningWorkers ?? []), ...(p.unusedWorkers ?? []), ...Object.values(p.pthreads ?? {})]) w.unref();
}

/**
 * Initialises the WASM backend with `threads` threads (must run before anything else initialises
 * it). Resolves to the thread count that runs; throws when the threaded build cannot start, and
 * the caller then initialises the single-threaded build (the flag is reset here).
 */
export async function initThreadedWasm(threads: number): Promise<number> {
  const flags = tf.env();
  flags.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  try {
    const worker = workerFile();
    const ok = await withPatches(threads, worker, () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from its worker threads in ${INIT_TIMEOUT_MS / 1000} s`)), INIT_TIMEOUT_MS);
      });
      return Promise.race([tf.setBackend('wasm'), timeout]).finally(() => clearTimeout(timer));
    });
    if (!ok) throw new Error('the threaded SIMD build failed to initialise');
    unrefWorkers();
    return getThreadsCount();
  } catch (e) {
    // A later tf.setBackend('wasm') starts the single-threaded build (and supersedes a pending init).
    flags.set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setThreadsCount(1);
    throw e;
  }
}

/**
 * The default thread count: the cores not already busy (cores − 1-minute load average, rounded), at
 * most 8. On cores other processes keep busy, extra threads wait for them instead of speeding a step
 * up (measured on 2 shared cores at load 5–8: 1 thread as fast as 2 or faster for every shipped config).
 */
export function defaultWasmThreads(): number {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  return Math.max(1, Math.min(Math.round(cores - os.loadavg()[0]), MAX_WASM_THREADS));
}

/** The thread count the running backend was started for (1 until startWasm started the threaded build). */
let started = 1;

/**
 * Starts the WASM backend for `threads` threads (default: defaultWasmThreads()) when it is not
 * running yet: for more than one, the threaded build — whose shared memory lets mtl's own kernels run
 * on `threads` threads (wasm-split.ts) — with tfjs's own thread pool at one thread. That pool's
 * threads spin for a while after each of its parallel kernels, which now run a small part of a step,
 * and the spinning took the cores from mtl's kernel threads (seed-resnet-two-heads-small on 2 shared
 * cores at load 6–8: 82 ms per step with tfjs's pool at 2 threads, 61 ms at 1).
 * Falls back to one thread with a notice saying why. Once running, the backend keeps its thread count
 * for the life of the process; an explicit request for another count gets a notice.
 */
export async function startWasm(threads?: number): Promise<{ threads: number; notice?: string }> {
  if (tf.findBackend('wasm')) {
    const running = Math.max(started, getThreadsCount());
    if (threads === undefined || threads === running) return { threads: running };
    return { threads: running, notice: `wasm already runs on ${running} thread${running === 1 ? '' : 's'}` };
  }
  const want = Math.max(1, Math.min(Math.floor(threads ?? defaultWasmThreads()), MAX_WASM_THREADS));
  if (want === 1) {
    setThreadsCount(1);
    return { threads: 1 };
  }
  try {
    await initThreadedWasm(1);
    started = want;
    return { threads: want };
  } catch (e) {
    return { threads: 1, notice: `the threaded WASM build did not start: ${(e as Error).message.split('\n')[0]}` };
  }
}
