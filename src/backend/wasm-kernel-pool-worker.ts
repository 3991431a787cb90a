// Owns one thread of mtl's kernel pool (wasm-kernel-pool.ts): the SIMD module instantiated on tfjs's shared
// memory, a loop that spins briefly, then sleeps, until the main thread publishes a task, then claims the task's chunks
// one at a time (the same claim the main thread makes, so whoever is awake does the work) and runs
// each as one kernel call. The control words and their meanings are wasm-kernel-pool.ts's (CTL).
// Loaded by path as a worker script; imports nothing of mtl's, so a worker starts in milliseconds.
import { workerData, type MessagePort } from 'node:worker_threads';

interface Data {
  memory: object;
  module: object;
  ctl: SharedArrayBuffer;
  args: SharedArrayBuffer;
  names: string[];
  ctlLayout: { GEN: number; NEXT: number; DONE: number; FN: number; NARGS: number; ERR: number; STOP: number; READY: number; SPIN: number; STATE: number; MAX_ARGS: number };
  /** Test only: 'throw' fails every chunk, 'stall' sleeps instead of running one. */
  fault?: 'throw' | 'stall';
  /** Where this worker's errors go (read synchronously by the main thread). */
  port: MessagePort;
}

type Kernel = (...args: number[]) => void;
interface WasmApi {
  Instance: new (module: object, imports: object) => { exports: Record<string, Kernel> };
}

const data = workerData as Data;
const L = data.ctlLayout;
const ctl = new Int32Array(data.ctl);
const args = new Float64Array(data.args);

/** Claims and runs chunks of the task tagged with generation gen until none is left. */
function drain(gen: number, kernels: Kernel[]): void {
  const tag = gen & 0x7fff;
  for (;;) {
    const v = Atomics.load(ctl, L.NEXT);
    const [vTag, count, idx] = [v >>> 16, (v >>> 8) & 255, v & 255];
    if (vTag !== tag || idx >= count) return;
    if (Atomics.compareExchange(ctl, L.NEXT, v, v + 1) !== v) continue;
    // Claimed: the task cannot end (nor its words change) before this chunk is marked done.
    Atomics.store(ctl, L.STATE + idx, 1);
    try {
      if (data.fault === 'stall' && Atomics.wait(ctl, L.STOP, 0, 60_000) !== 'timed-out') return;
      if (data.fault === 'throw') throw new Error('test fault');
      const at = idx * L.MAX_ARGS;
      kernels[Atomics.load(ctl, L.FN)](...args.subarray(at, at + Atomics.load(ctl, L.NARGS)));
    } catch (e) {
      data.port.postMessage(`${data.names[Atomics.load(ctl, L.FN)]}: ${(e as Error).message ?? e}`);
      Atomics.store(ctl, L.ERR, 1);
    }
    Atomics.store(ctl, L.STATE + idx, 2);
    Atomics.add(ctl, L.DONE, 1);
    Atomics.notify(ctl, L.DONE);
  }
}

function main(): void {
  const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const exports = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports;
  const kernels = data.names.map((n) => exports[n]);
  Atomics.add(ctl, L.READY, 1);
  Atomics.notify(ctl, L.READY);
  let seen = Atomics.load(ctl, L.GEN);
  drain(seen, kernels);
  while (Atomics.load(ctl, L.STOP) === 0) {
    // A short spin first: the next task usually comes within a fraction of a millisecond, sooner than a
    // sleeping thread wakes (wasm-kernel-pool.ts, SPIN_US). The same loop as spinWhile there, which this
    // file cannot import (it loads nothing of mtl's).
    const until = performance.now() + Atomics.load(ctl, L.SPIN) / 1000;
    for (let i = 1; Atomics.load(ctl, L.GEN) === seen; i++) if ((i & 63) === 0 && performance.now() >= until) break;
    if (Atomics.load(ctl, L.GEN) === seen) Atomics.wait(ctl, L.GEN, seen);
    seen = Atomics.load(ctl, L.GEN);
    if (Atomics.load(ctl, L.STOP) === 0) drain(seen, kernels);
  }
}

try {
  main();
} catch (e) {
  data.port.postMessage(`the kernel module did not start on a worker thread: ${(e as Error).message ?? e}`);
  Atomics.store(ctl, L.READY, -1000);
  Atomics.notify(ctl, L.READY);
}
