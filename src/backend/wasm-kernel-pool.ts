// Owns the threads mtl's own SIMD kernels run on under tfjs's threaded WASM build: N−1 worker_threads,
// each with the kernel module instantiated on the same shared WebAssembly.Memory, and a synchronous
// dispatch. A task is one kernel cut into chunks (each a full argument list, chunks writing disjoint
// memory); the main thread publishes it in an Int32Array on a SharedArrayBuffer, wakes the workers
// (Atomics.notify), claims chunks itself like any worker, and then waits (Atomics.wait) for the
// chunks workers claimed. Claiming — not a fixed share per thread — is what makes it hold up on
// shared cores: a worker that is slow to wake just claims nothing, and the main thread never waits
// for work nobody started. A waiting thread (a worker between tasks, the main thread for the last
// chunks) polls for SPIN_US before it sleeps, since waking from Atomics.wait takes longer than the
// usual gap — while other processes leave cores to spare (adaptSpin). While they keep the cores busy,
// tasks run on the main thread alone (threads reads 1): a worker woken onto a busy core starts late or
// is preempted mid-chunk, and waking it took the main thread's core. Workers are unref'd, so they
// never keep the process alive.
//
// A worker's error is thrown on the main thread (the kernel's name and message). A chunk a worker
// claimed but did not finish within the timeout is run again on the main thread, the pool is shut
// down, and the kernels run on the main thread alone from then on, after a one-line notice.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** The control words (Int32 indices) of a pool's SharedArrayBuffer; the worker reads them from here. */
const CTL = {
  GEN: 0, // generation: bumped (and notified) for every task
  NEXT: 1, // the claim word: tag (generation & 0x7fff) << 16 | chunks << 8 | next chunk
  DONE: 2, // chunks finished in this task
  FN: 3, // the kernel: index into names
  NARGS: 4,
  ERR: 5, // 1 when a worker's chunk threw (its message on the port)
  STOP: 6,
  READY: 7, // workers whose module instantiated (negative when one failed)
  SPIN: 8, // microseconds a thread spins for the next task or chunk before it sleeps (header)
  STATE: 16, // per chunk: 0 unclaimed, 1 running, 2 done
  MAX_ARGS: 32, // per chunk, in a Float64Array of their own (float arguments stay exact)
};
export const MAX_CHUNKS = 64;
const CTL_INTS = CTL.STATE + MAX_CHUNKS;
const START_TIMEOUT_MS = 20_000;
/**
 * Microseconds a waiting thread polls before it sleeps (Atomics.wait). A sleeping thread took ~0.1–0.2 ms
 * to wake on this kind of machine (a VM's idle vCPU halts): the worker started each task that late and
 * the main thread saw the last chunk done that late — at ~12 split kernels a quickstart step, enough
 * that a 0.3 ms product gained nothing from its second thread. Tasks mostly follow each other within a
 * fraction of a millisecond, so a short spin keeps the worker on hand; bounded, so a loaded machine
 * loses little to it.
 */
const SPIN_US = 300;
/**
 * The spin is for a machine with cores to spare: on a loaded one it took them from the other threads
 * (quickstart at 2 threads, load 5–7: 7–11 % slower with it; idle machine: 4 % faster). Every ADAPT_MS
 * the pool measures the CPU other processes used (the machine's busy time less this process's) and
 * spins only while that stayed under BUSY_CORES cores.
 */
const ADAPT_MS = 500;
const BUSY_CORES = 0.5;
/**
 * Tasks are split only while the cores other processes leave are at least the pool's threads less
 * BUSY_CORES (on 2 cores and 2 threads: the spin's rule). Quickstart at 2 threads on 2 shared cores, one
 * process alternating blocks of steps split and on the main thread alone: while other processes used
 * half a core or more, 50–54 ms a step split against 48–50 alone (5 runs, every one slower split:
 * waking workers onto busy cores and waiting for their last chunks); while they did not, 30 against 46.
 */
const cores = (): number => os.availableParallelism?.() ?? os.cpus().length;

/** Milliseconds of CPU the whole machine has been busy (every core's user, nice, sys and irq time). */
function machineBusyMs(): number {
  return os.cpus().reduce((t, c) => t + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

type Kernel = (...args: number[]) => void;

export interface PoolOptions {
  /** How long a claimed chunk may run before the pool is given up (default 30 s). */
  timeoutMs?: number;
  /** Test only: make the workers fail ('throw') or never finish ('stall') their chunks. */
  fault?: 'throw' | 'stall';
  /** Microseconds a waiting thread polls before it sleeps, fixed (default: SPIN_US while the machine has cores to spare). */
  spinUs?: number;
}

/** Polls ctl[at] for up to `us` microseconds while it still reads `seen`; whether it changed. */
export function spinWhile(ctl: Int32Array, at: number, seen: number, us: number): boolean {
  if (us <= 0) return false;
  const until = performance.now() + us / 1000;
  for (let i = 1; ; i++) {
    if (Atomics.load(ctl, at) !== seen) return true;
    if ((i & 63) === 0 && performance.now() >= until) return false;
  }
}

export class KernelPool {
  /** Run every task on the calling thread (the one-thread reference, in the same process). */
  paused = false;
  private width: number;
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly workers: Worker[];
  private readonly ports: MessagePort[] = [];
  private readonly timeoutMs: number;
  private gen = 0;
  private readonly adaptive: boolean;
  /** When the spin was last decided, and the machine's and this process's CPU milliseconds then. */
  private watch = { at: 0, busy: 0, own: 0 };
  /** Whether other processes left cores for every thread at the last look (assumed until measured). */
  private spare = true;
  /** Tasks run across threads so far, and of their chunks, those the workers ran (the rest: the main thread). */
  tasks = 0;
  chunks = 0;
  workerChunks = 0;

  /** The module (kernels-shared.wasm, compiled) on memory, with `names`' kernels callable by index. */
  constructor(
    module: object,
    memory: object,
    private readonly names: string[],
    private readonly local: Kernel[],
    workers: number,
    opts: PoolOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * CTL_INTS));
    this.ctl[CTL.SPIN] = opts.spinUs ?? 0;
    this.adaptive = opts.spinUs === undefined;
    this.args = new Float64Array(new SharedArrayBuffer(8 * MAX_CHUNKS * CTL.MAX_ARGS));
    const file = path.join(__dirname, 'wasm-kernel-pool-worker.js');
    if (!fs.existsSync(file)) throw new Error(`${file} is missing (run npm run build)`);
    this.workers = Array.from({ length: workers }, () => {
      // Each worker reports errors on a port of its own, which the main thread reads synchronously.
      const { port1, port2 } = new MessageChannel();
      this.ports.push(port1);
      const workerData = { memory, module, ctl: this.ctl.buffer, args: this.args.buffer, names, ctlLayout: CTL, fault: opts.fault, port: port2 };
      const w = new Worker(file, { workerData, transferList: [port2] });
      w.on('error', () => {}); // the worker reports its own errors on its port; this one only keeps the process up
      w.unref();
      port1.unref();
      return w;
    });
    this.width = workers + 1;
  }

  /** Microseconds a waiting thread polls before it sleeps (all threads read it at every wait). */
  get spinUs(): number {
    return this.ctl[CTL.SPIN];
  }
  set spinUs(us: number) {
    Atomics.store(this.ctl, CTL.SPIN, Math.max(0, Math.round(us)));
  }

  /** Threads the pool runs tasks on when it splits them (workers + the main thread; 1 once given up). */
  get size(): number {
    return this.width;
  }

  /** Threads a task runs on (workers + the main thread); 1 when paused, while the cores are busy (quiet) or once the pool was given up. */
  get threads(): number {
    return this.paused || !this.quiet() ? 1 : this.width;
  }

  /** Waits (blocking) until every worker's module is instantiated; throws when one failed or took too long. */
  waitReady(timeoutMs = START_TIMEOUT_MS): void {
    const until = Date.now() + timeoutMs;
    for (let r = Atomics.load(this.ctl, CTL.READY); r < this.workers.length; r = Atomics.load(this.ctl, CTL.READY)) {
      if (r < 0) throw new Error(this.message() ?? 'a kernel thread did not start');
      if (Date.now() >= until) throw new Error(`the kernel threads did not start in ${timeoutMs / 1000} s`);
      Atomics.wait(this.ctl, CTL.READY, r, Math.max(1, until - Date.now()));
    }
  }

  /** Runs kernel `fn` once per chunk (argument lists), spread over the pool; returns when all are done. */
  run(fn: number, chunks: number[][]): void {
    if (chunks.length <= 1 || this.threads === 1) {
      for (const args of chunks) this.local[fn](...args);
      return;
    }
    if (chunks.length > MAX_CHUNKS) throw new Error(`kernel pool: ${chunks.length} chunks, at most ${MAX_CHUNKS}`);
    this.adaptSpin();
    this.tasks++;
    this.publish(fn, chunks);
    this.workerChunks += chunks.length - this.drain(fn, chunks);
    this.chunks += chunks.length;
    this.awaitWorkers(fn, chunks);
    if (Atomics.load(this.ctl, CTL.ERR)) {
      Atomics.store(this.ctl, CTL.ERR, 0);
      throw new Error(`mtl's kernel ${this.message() ?? this.names[fn]} (on a worker thread)`);
    }
  }

  /**
   * Whether the machine has a core for each thread: other processes left them at the last look (looked
   * at again every ADAPT_MS), or — spin fixed by the options — assumed.
   */
  quiet(): boolean {
    this.adaptSpin();
    return !this.adaptive || this.spare;
  }

  /**
   * Every ADAPT_MS, from the cores other processes used since the last look: spin (SPIN_US) while under
   * BUSY_CORES, split tasks while they left a core for each thread (less BUSY_CORES).
   */
  private adaptSpin(): void {
    const now = performance.now();
    if (!this.adaptive || now - this.watch.at < ADAPT_MS) return;
    const u = process.cpuUsage();
    const [busy, own] = [machineBusyMs(), (u.user + u.system) / 1000];
    if (this.watch.at > 0) {
      const others = (busy - this.watch.busy - (own - this.watch.own)) / (now - this.watch.at);
      this.spinUs = others < BUSY_CORES ? SPIN_US : 0;
      this.spare = others < cores() - (this.workers.length + 1) + BUSY_CORES;
    }
    this.watch = { at: now, busy, own };
  }

  private publish(fn: number, chunks: number[][]): void {
    const c = this.ctl;
    c[CTL.FN] = fn;
    c[CTL.NARGS] = chunks[0].length;
    chunks.forEach((args, i) => {
      if (args.length > CTL.MAX_ARGS) throw new Error(`kernel pool: ${args.length} arguments, at most ${CTL.MAX_ARGS}`);
      this.args.set(args, i * CTL.MAX_ARGS);
    });
    c.fill(0, CTL.STATE, CTL.STATE + chunks.length);
    c[CTL.DONE] = 0;
    this.gen = (this.gen + 1) | 0;
    // The claim word goes last: from this store on, workers may claim (Atomics order the plain writes).
    Atomics.store(c, CTL.NEXT, ((this.gen & 0x7fff) << 16) | (chunks.length << 8));
    Atomics.store(c, CTL.GEN, this.gen);
    Atomics.notify(c, CTL.GEN, Math.min(this.workers.length, chunks.length - 1));
  }

  /** The main thread's share: claims chunks exactly as a worker does (wasm-kernel-pool-worker.ts); how many it ran. */
  private drain(fn: number, chunks: number[][]): number {
    const c = this.ctl;
    for (let ran = 0; ; ran++) {
      const v = Atomics.load(c, CTL.NEXT);
      const idx = v & 255;
      if (idx >= chunks.length) return ran;
      if (Atomics.compareExchange(c, CTL.NEXT, v, v + 1) !== v) continue;
      this.local[fn](...chunks[idx]);
      Atomics.store(c, CTL.STATE + idx, 2);
      Atomics.add(c, CTL.DONE, 1);
    }
  }

  /** Waits for the workers' chunks; after timeoutMs without progress, gives the pool up (header). */
  private awaitWorkers(fn: number, chunks: number[][]): void {
    const c = this.ctl;
    for (let done = Atomics.load(c, CTL.DONE); done < chunks.length; done = Atomics.load(c, CTL.DONE)) {
      if (spinWhile(c, CTL.DONE, done, c[CTL.SPIN])) continue;
      if (Atomics.wait(c, CTL.DONE, done, this.timeoutMs) === 'timed-out' && Atomics.load(c, CTL.DONE) === done) {
        this.close();
        chunks.forEach((args, i) => Atomics.load(c, CTL.STATE + i) !== 2 && this.local[fn](...args));
        process.emitWarning(`mtl's kernel threads did not finish ${this.names[fn]} in ${this.timeoutMs / 1000} s; its kernels run on the main thread from now on`);
        return;
      }
    }
  }

  /** The first message a worker sent (an error), if any. */
  private message(): string | undefined {
    for (const port of this.ports) {
      const m = receiveMessageOnPort(port);
      if (m) return String(m.message);
    }
    return undefined;
  }

  /** Stops the workers; tasks run on the main thread from then on. */
  close(): void {
    if (this.width === 1) return;
    this.width = 1;
    Atomics.store(this.ctl, CTL.STOP, 1);
    Atomics.add(this.ctl, CTL.GEN, 1);
    Atomics.notify(this.ctl, CTL.GEN);
    Atomics.notify(this.ctl, CTL.STOP);
    for (const w of this.workers) void w.terminate();
    for (const port of this.ports) port.close();
  }
}
