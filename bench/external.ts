// Owns the bench's measurements of other processes: child bench processes (bench/child.ts), the
// CLI's start-up (`mtl --help`, `mtl validate`), and the PyTorch reference (bench/lenet_hps_torch.py)
// when a python3 with torch is at hand.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../src/util/paths';
import { median } from './workload';

const root = packageRoot();

/** Runs bench/child.js in a fresh process and parses its JSON line. */
export function child<T>(mode: string, args: object): T | { error: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/bench/child.js'), mode, JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { error: (r.stderr || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ') };
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as T;
}

/** Median wall seconds of `runs` runs of `node bin/mtl.js ...args` (each must exit 0). */
export function cliSeconds(args: string[], runs = 5): number {
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [path.join(root, 'bin/mtl.js'), ...args], { cwd: root, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`mtl ${args.join(' ')} exited ${r.status}`);
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

/** Median wall seconds of a bare `node -e 0`: the floor under any CLI start. */
export function nodeSeconds(runs = 5): number {
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

/** The first of `python3`, `/usr/bin/python3` that imports torch (pyenv shims may hide Debian's). */
export function torchPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

export interface TorchResult {
  threads: number;
  samplesPerSecond: number;
  stepMs: number;
  /** CPU time of a step, all threads (on one thread: its cost whatever the load). */
  cpuStepMs: number;
  torch: string;
}

/**
 * PyTorch LeNet-HPS throughput at each thread count, one python process each with OMP_NUM_THREADS set:
 * torch.set_num_threads(1) alone left Debian's OpenMP build a second busy thread (70 ms of CPU for a
 * 35 ms step; 42 ms on one thread), so "1 thread" was nearly two.
 */
export function torchThroughput(py: string, batch: number, threads: number[], steps: number): TorchResult[] {
  const script = path.join(root, 'bench/lenet_hps_torch.py');
  return threads.map((t) => {
    const env = { ...process.env, OMP_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t) };
    const r = spawnSync(py, [script, '--batch', String(batch), '--threads', String(t), '--steps', String(steps)], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`${py} ${script} failed: ${r.stderr.trim().split('\n').pop()}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
  });
}
