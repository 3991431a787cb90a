// Tests runtime backend selection: auto falls back past the (absent) native packages to wasm,
// explicit cpu/wasm work, an unavailable 'tensorflow' is a usage error that says how to get it,
// the WASM thread count (threaded build in fresh processes), and the one-line descriptions.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../../../src/errors';
import { backendLabel, describeBackend, selectBackend, withSimdStatus, type BackendInfo } from '../../../src/backend/select';
import { defaultWasmThreads } from '../../../src/backend/wasm-threads';

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

// In this repository's environment the native packages are not installed; elsewhere they may be.
const nativeAbsent = !installed('@tensorflow/tfjs-node-gpu') && !installed('@tensorflow/tfjs-node');

describe('selectBackend', () => {
  it('auto falls back to wasm and records the two failed native tries', { skip: !nativeAbsent && 'a native tfjs package is installed' }, async () => {
    const info = await selectBackend('auto');
    assert.equal(info.name, 'wasm');
    assert.equal(info.package, '@tensorflow/tfjs-backend-wasm');
    assert.equal(info.gpu, false);
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(
      info.tried.map((t) => t.name),
      ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
    );
    for (const t of info.tried) assert.match(t.error, /Cannot find module/);
    // The training kernels are there.
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
    assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'));
  });

  it("'cpu' gives cpu, without the tfjs Node.js banner", async () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      const info = await selectBackend('cpu');
      assert.deepEqual(info, { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, tried: [] });
      assert.equal(tf.getBackend(), 'cpu');
      tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync()); // first write to the cpu backend
    } finally {
      console.warn = original;
    }
    assert.deepEqual(warnings.filter((w) => /TensorFlow\.js in Node\.js/.test(w)), []);
  });

  it("'wasm' gives wasm and tries nothing else", async () => {
    const { threads, kernelThreads, ...info } = await selectBackend('wasm');
    assert.deepEqual(info, { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, tried: [], simdKernels: true, fma: process.env.MTL_FMA !== '0' });
    assert.equal(kernelThreads, threads, "mtl's kernels run on the backend's threads");
    assert.equal(tf.getBackend(), 'wasm');
    // Started by the first test (auto) with the cores not busy at the time: at least 1, at most 8.
    assert.ok(threads !== undefined && threads >= 1 && threads <= Math.min(os.availableParallelism(), 8), `threads ${threads}`);
  });

  it("'tensorflow' when unavailable is a usage error that says how to get it", { skip: !nativeAbsent && 'a native tfjs package is installed' }, async () => {
    await assert.rejects(selectBackend('tensorflow'), (e: unknown) => {
      assert.ok(e instanceof MtlError);
      assert.equal(e.kind, 'usage');
      assert.equal(e.exitCode, 2);
      assert.match(e.message, /@tensorflow\/tfjs-node-gpu/);
      assert.match(e.message, /npm install @tensorflow\/tfjs-node-gpu/);
      assert.match(e.message, /internet/);
      assert.match(e.message, /libtensorflow 2\.9\.1/);
      assert.match(e.message, /CUDA 11\.2/);
      assert.match(e.message, /cuDNN 8\.1/);
      return true;
    });
  });

  // Runs where tfjs-node is installed, e.g. under NODE_PATH with one built from a local TensorFlow
  // wheel (bench/tfjs-node-from-wheel.sh); the stand-in test covers the rest without it.
  it("'tensorflow' when installed runs on libtensorflow and records both versions", { skip: nativeAbsent && 'no native tfjs package installed' }, async () => {
    const info = await selectBackend('tensorflow', { threads: 1 });
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.match(info.version ?? '', /^\d+\.\d+\.\d+/);
    assert.match(info.libtensorflow ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(info.threads, 1);
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    assert.deepEqual(Array.from(tf.matMul(x, x).dataSync()), [7, 10, 15, 22]);
    x.dispose();
  });
});

/**
 * Runs `body` (JS using `select` and `tf`) in a fresh Node process, where the WASM backend has not
 * started yet, and returns what it prints as JSON. The process must end by itself.
 */
function inFreshProcess(body: string): unknown {
  const select = path.join(__dirname, '../../../src/backend/select.js');
  const script = `const tf = require('@tensorflow/tfjs'); const select = require(${JSON.stringify(select)}); (async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000, cwd: path.join(__dirname, '../../..') });
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('WASM threads (fresh processes)', () => {
  // conv2d and its two gradients, strided: the XNNPACK kernels split across the pool's threads.
  const work = `
    const values = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k));
    const f = (a, b) => tf.sum(tf.square(tf.conv2d(a, b, 2, 'same')));
    const grads = () => tf.grads(f)([tf.tensor4d(values(8 * 15 * 15 * 3, 0.37), [8, 15, 15, 3]), tf.tensor4d(values(3 * 3 * 3 * 16, 0.71), [3, 3, 3, 16])]).map((g) => Array.from(g.dataSync()));`;

  it('--threads 2 runs the threaded build: 2 threads, the same gradients as the cpu backend, and the process exits', () => {
    const out = inFreshProcess(`${work}
      const info = await select.selectBackend('wasm', { threads: 2 });
      const wasm = grads();
      await select.selectBackend('cpu');
      const cpu = grads();
      let worst = 0, scale = 0;
      cpu.forEach((g, i) => g.forEach((v, j) => { scale = Math.max(scale, Math.abs(v)); worst = Math.max(worst, Math.abs(v - wasm[i][j])); }));
      console.log(JSON.stringify({ threads: info.threads, notice: info.notice ?? null, label: select.backendLabel(info), rel: worst / scale }));`) as { threads: number; notice: string | null; label: string; rel: number };
    assert.deepEqual({ threads: out.threads, notice: out.notice, label: out.label }, { threads: 2, notice: null, label: 'wasm, 2 threads' });
    assert.ok(out.rel < 1e-5, `largest difference ${out.rel} of the largest gradient`);
  });

  it('--threads 1 runs the single-threaded build', () => {
    const out = inFreshProcess(`const info = await select.selectBackend('wasm', { threads: 1 }); console.log(JSON.stringify({ threads: info.threads, label: select.backendLabel(info) }));`);
    assert.deepEqual(out, { threads: 1, label: 'wasm, 1 thread' });
  });
});

describe("mtl's SIMD kernels in the backend record", () => {
  it("'wasm' records that mtl's SIMD kernels run", async () => {
    const info = await selectBackend('wasm');
    assert.equal(info.simdKernels, true);
    assert.equal(info.notice, undefined);
  });

  it('a wasm backend whose memory cannot be found records false and says why, after any other notice', () => {
    const fake = { wasm: {} } as never;
    const got = withSimdStatus({ threads: 1, notice: 'the threaded WASM build did not start: x' }, fake);
    assert.equal(got.simdKernels, false);
    assert.equal(got.notice, "the threaded WASM build did not start: x; mtl's SIMD kernels did not load (tfjs-backend-wasm's memory was not found); tfjs's own, slower kernels run instead");
  });

  it('a memory the module cannot import records false with the WebAssembly error', () => {
    const fake = { wasm: { asm: { memory: { buffer: new ArrayBuffer(8) } } } } as never;
    const got = withSimdStatus({}, fake);
    assert.equal(got.simdKernels, false);
    assert.match(got.notice!, /^mtl's SIMD kernels did not load \(.*[Mm]emory.*\); tfjs's own, slower kernels run instead$/);
  });
});

describe('describeBackend', () => {
  const base = { gpu: false, tried: [] } as const;
  const cases: Array<[BackendInfo, string]> = [
    [{ ...base, name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', tried: [] }, 'wasm (@tensorflow/tfjs-backend-wasm)'],
    [
      { name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', gpu: true, gpuDevice: 'Tesla T4', tried: [] },
      'tensorflow (@tensorflow/tfjs-node-gpu, GPU: Tesla T4)',
    ],
    [{ name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', gpu: false, tried: [] }, 'tensorflow (@tensorflow/tfjs-node-gpu, CPU)'],
    [
      { name: 'tensorflow', package: '@tensorflow/tfjs-node', version: '4.22.0', libtensorflow: '2.21.0', gpu: false, tried: [], threads: 2 },
      'tensorflow (@tensorflow/tfjs-node 4.22.0, libtensorflow 2.21.0, CPU)',
    ],
    [
      { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, tried: [{ name: '@tensorflow/tfjs-node', error: 'x' }] },
      'cpu (@tensorflow/tfjs-backend-cpu; unavailable: @tensorflow/tfjs-node)',
    ],
  ];
  for (const [info, want] of cases) {
    it(want, () => assert.equal(describeBackend(info), want));
  }
});

describe('defaultWasmThreads', () => {
  it('is the cores not already busy (cores − load, rounded), between 1 and 8', () => {
    // The module object that wasm-threads.ts reads (not this file's import namespace).
    const nodeOs = require('node:os') as { availableParallelism: () => number; loadavg: () => number[] };
    const saved = { availableParallelism: nodeOs.availableParallelism, loadavg: nodeOs.loadavg };
    const at = (cores: number, load: number) => {
      nodeOs.availableParallelism = () => cores;
      nodeOs.loadavg = () => [load, load, load];
      return defaultWasmThreads();
    };
    try {
      assert.deepEqual([at(2, 0.1), at(2, 0.6), at(2, 10), at(4, 1.2), at(64, 0), at(1, 0)], [2, 1, 1, 3, 8, 1]);
    } finally {
      Object.assign(nodeOs, saved);
    }
  });
});

describe('backendLabel', () => {
  const wasm: BackendInfo = { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, tried: [] };
  it('names the threads, and the notice when threads fell back', () => {
    assert.equal(backendLabel({ ...wasm, threads: 4 }), 'wasm, 4 threads');
    assert.equal(backendLabel({ ...wasm, threads: 1, notice: 'the threaded WASM build did not start: x' }), 'wasm, 1 thread (the threaded WASM build did not start: x)');
    assert.equal(backendLabel({ ...wasm, name: 'cpu', package: '@tensorflow/tfjs-backend-cpu' }), 'cpu');
    assert.equal(backendLabel({ ...wasm, name: 'tensorflow', package: '@tensorflow/tfjs-node', libtensorflow: '2.21.0', threads: 1 }), 'tensorflow (libtensorflow 2.21.0), 1 thread');
  });
});
