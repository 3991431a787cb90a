// Tests mtl's kernel threads (wasm-kernel-pool.ts, wasm-split.ts) under the threaded build, each case in a
// fresh process that must end by itself (the pool's workers never keep it alive): every split kernel
// gives the same bits on 2 threads as on one (the pool paused: the same kernels on the calling thread) —
// the filter gradient too, so a run's numbers do not depend on its thread count —, heap scratch is
// given back, a worker's error or stall surfaces as an error or a fallback with a notice, and threads that
// sleep at once (no spin before waiting) give the same bits, and while other processes keep the cores
// busy nothing is split.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { spinWhile } from '../../../src/backend/wasm-kernel-pool';
import { packageRoot } from '../../../src/util/paths';

const dist = path.join(__dirname, '../../../src/backend');
const mod = (name: string) => JSON.stringify(path.join(dist, `${name}.js`));

/** Runs body (JS with tf, select, split, simd in scope) in a fresh process; its printed JSON. */
function fresh(body: string): Record<string, unknown> {
  const script = `const tf = require('@tensorflow/tfjs'); const select = require(${mod('select')}); const split = require(${mod('wasm-split')}); const oneKernel = require(${mod('../layers/one-kernel')});
    const values = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.1));
    (async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000, cwd: packageRoot() });
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

// Each op is large enough for its kernels to split (above wasm-split.ts's thresholds).
const OPS = `
  const x = tf.tensor4d(values(16 * 32 * 32 * 16, 0.37), [16, 32, 32, 16]);
  const w = tf.tensor4d(values(3 * 3 * 16 * 16, 0.71), [3, 3, 16, 16]);
  const a = tf.tensor2d(values(700 * 200, 0.13), [700, 200]);
  const bias = tf.tensor1d(values(400, 0.5));
  const x1 = tf.tensor4d(values(32 * 36 * 36, 0.23), [32, 36, 36, 1]);
  const x2 = tf.tensor4d(values(32 * 32 * 32 * 16, 0.31), [32, 32, 32, 16]);
  const w1 = tf.tensor4d(values(9 * 9 * 10, 0.61), [9, 9, 1, 10]);
  const x5 = tf.tensor4d(values(32 * 14 * 14 * 10, 0.43), [32, 14, 14, 10]);
  const w5 = tf.tensor4d(values(5 * 5 * 10 * 20, 0.67), [5, 5, 10, 20]);
  const loss = (x, w) => tf.sum(tf.square(tf.conv2d(x, w, 2, 'same')));
  // d/d(x, kernel, bias) of Σ r ⊙ maxPool(relu(conv(x))), flattened into one tensor.
  const pooledGrads = (n, h, c, oc, k) => {
    const layer = oneKernel.oneKernel(tf.layers.conv2d({ filters: oc, kernelSize: k, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), biasInitializer: tf.initializers.constant({ value: 0.01 }) }));
    const xp = tf.tensor4d(values(n * h * h * c, 0.27), [n, h, h, c]);
    layer.apply(xp);
    const q = (h - k + 1) / 2;
    const r = tf.tensor4d(values(n * q * q * oc, 0.83), [n, q, q, oc]);
    const g = tf.grads((a, kk, b) => tf.sum(tf.mul(tf.maxPool(layer.apply(a), 2, 2, 'valid'), r)))([xp, ...layer.trainableWeights.map((w) => w.read())]);
    return tf.concat(g.map((t) => t.flatten()));
  };
  const ops = {
    conv2d: () => tf.conv2d(x, w, 1, 'same'),
    convInputGradStrided: () => tf.grad((x) => loss(x, w))(x),
    matMul: () => tf.matMul(a, tf.tensor2d(values(200 * 400, 0.29), [200, 400])),
    matMulPacked: () => tf.matMul(a, tf.tensor2d(values(200 * 1000, 0.29), [200, 1000])),
    // A read transposed where it lies (sgemm_at): chunks start columns of the stored A apart; 1303 rows, 50
    // columns (edges); 33 M multiply-adds ×2, split on a busy machine too (QUIET_FLOPS).
    matMulTransposeA: () => tf.matMul(tf.tensor2d(values(256 * 1303, 0.19), [256, 1303]), tf.tensor2d(values(256 * 50, 0.41), [256, 50]), true, false),
    matMulBiasRelu: () => tf.fused.matMul({ a, b: tf.tensor2d(values(200 * 400, 0.29), [200, 400]), bias, activation: 'relu' }),
    // 2×2 pooling under a tape writes codes its gradient reads (pool.c, channels.c); outside one, the
    // gradient reads x.
    maxPoolGrad: () => tf.grad((x) => tf.sum(tf.mul(tf.maxPool(x, 2, 2, 'valid'), tf.tensor4d(values(32 * 16 * 16 * 16, 0.53), [32, 16, 16, 16]))))(x2),
    // A one-kernel conv layer (relu) → 2×2 pooling: its bias gradient from the pooling gradient's per-image sums.
    convPoolBias: () => {
      const layer = oneKernel.oneKernel(tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
      const xc = tf.tensor4d(values(64 * 30 * 30 * 3, 0.41), [64, 30, 30, 3]);
      layer.apply(xc);
      const r = tf.tensor4d(values(64 * 14 * 14 * 8, 0.59), [64, 14, 14, 8]);
      const ws = layer.trainableWeights.map((w) => w.read());
      const g = tf.grads((k, b) => tf.sum(tf.mul(tf.maxPool(layer.apply(xc), 2, 2, 'valid'), r)))(ws);
      return tf.concat([g[0].flatten(), g[1]]);
    },
    // A one-kernel conv layer (relu) → 2×2 pooling at stride 1: its weight and input gradients from the
    // pooling's codes (conv-pooled.c), split over filters and over images: quickstart's two layers.
    convPooledStem: () => pooledGrads(32, 36, 1, 10, 9),
    convPooled5x5: () => pooledGrads(128, 14, 10, 20, 5),
    maxPoolGradFromX: () => tf.engine().runKernel('MaxPoolGrad', { dy: tf.tensor4d(values(16 * 16 * 16 * 16, 0.53), [16, 16, 16, 16]), input: x, output: tf.maxPool(x, 2, 2, 'valid') }, { filterSize: 2, strides: 2, pad: 'valid' }),
    // The filter gradient over tap ranges: strided and unpadded; padded (each chunk pads every image
    // into a scratch of its own); quickstart's second layer (5×5×10 → 20: 250 taps, not a multiple of
    // the split's alignment); one input channel at stride 1 (conv-c1.h's path, scratch of its own per
    // chunk), unpadded and padded.
    filterGrad: () => tf.grad((w) => tf.sum(tf.square(tf.conv2d(x, w, 2, 'valid'))))(w),
    filterGradPadded: () => tf.grad((w) => tf.sum(tf.square(tf.conv2d(x, w, 2, 'same'))))(w),
    filterGrad5x5: () => tf.grad((w5) => tf.sum(tf.square(tf.conv2d(x5, w5, 1, 'valid'))))(w5),
    filterGradC1: () => tf.grad((w1) => tf.sum(tf.square(tf.conv2d(x1, w1, 1, 'valid'))))(w1),
    filterGradC1Padded: () => tf.grad((w1) => tf.sum(tf.square(tf.conv2d(x1, w1, 1, 'same'))))(w1),
    // Overlapping windows with padding (pool.c), and a constant pad of the spatial axes (pad_hw).
    maxPoolSame: () => tf.maxPool(x2, 3, 2, 'same'),
    maxPoolSameGrad: () => tf.grad((x) => tf.sum(tf.mul(tf.maxPool(x, 3, 2, 'same'), tf.tensor4d(values(32 * 16 * 16 * 16, 0.47), [32, 16, 16, 16]))))(x2),
    pad: () => tf.pad(x2, [[0, 0], [1, 1], [2, 2], [0, 0]], 0.25),
  };`;

describe("mtl's kernels on 2 threads (fresh processes)", () => {
  it('every split kernel gives the same bits as on one thread, the filter gradient too (and it equals the cpu backend within rounding)', () => {
    const out = fresh(`const info = await select.selectBackend('wasm', { threads: 2 });
      ${OPS}
      const b = tf.backend();
      const pool = split.kernelPool(b);
      pool.quiet = () => true; // as on an idle machine, whatever else runs beside the test
      const res = {};
      for (const [name, op] of Object.entries(ops)) {
        const before = pool.tasks;
        const two = tf.tidy(() => Array.from(op().dataSync()));
        const tasks = pool.tasks - before;
        pool.paused = true;
        const one = tf.tidy(() => Array.from(op().dataSync()));
        pool.paused = false;
        res[name] = { tasks, same: two.every((v, i) => Object.is(v, one[i])), two };
      }
      await select.selectBackend('cpu');
      const rel = {};
      for (const name of ['filterGrad', 'filterGradPadded', 'filterGrad5x5', 'filterGradC1', 'filterGradC1Padded', 'convPooledStem', 'convPooled5x5']) {
        const cpu = tf.tidy(() => Array.from(ops[name]().dataSync()));
        // (reduce, not Math.max(...): the pooled cases' arrays are longer than the call stack allows.)
        const scale = cpu.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        rel[name] = cpu.reduce((m, v, i) => Math.max(m, Math.abs(v - res[name].two[i])), 0) / scale;
      }
      for (const r of Object.values(res)) delete r.two;
      const tfjsThreads = require('@tensorflow/tfjs-backend-wasm').getThreadsCount();
      console.log(JSON.stringify({ kernelThreads: info.kernelThreads, tfjsThreads, res, rel }));`);
    assert.equal(out.kernelThreads, 2);
    assert.equal(out.tfjsThreads, 1, "tfjs's own pool runs one thread (wasm-threads.ts)");
    const res = out.res as Record<string, { tasks: number; same: boolean }>;
    for (const [name, r] of Object.entries(res)) assert.ok(r.tasks > 0, `${name} was split across the threads`);
    for (const [name, r] of Object.entries(res)) assert.ok(r.same, `${name}: same bits`);
    for (const [name, rel] of Object.entries(out.rel as Record<string, number>)) assert.ok(rel < 1e-5, `${name} vs cpu: largest difference ${rel} of the largest value`);
  });

  it('relu_grad split over ranges gives the same bits; heap scratch is given back', () => {
    const out = fresh(`
      const simd = require(${mod('wasm-simd')});
      await select.selectBackend('wasm', { threads: 2 });
      const b = tf.backend();
      const pool = split.kernelPool(b);
      pool.quiet = () => true;
      const k = simd.simdKernels(b);
      const n = 200003;
      const [y, dy, dz1, dz2] = [values(n, 0.3), values(n, 0.9), new Float32Array(n), new Float32Array(n)].map((v) => tf.tensor1d(v));
      const p = (t) => simd.heapOffset(b, t);
      const t0 = pool.tasks;
      k.relu_grad(n, p(y), p(dy), p(dz2));
      pool.paused = true;
      k.relu_grad(n, p(y), p(dy), p(dz1));
      pool.paused = false;
      // Threads that sleep at once (no spin) between tasks and chunks run it the same.
      const dz3 = tf.zeros([n]);
      const spin = pool.spinUs;
      pool.spinUs = 0;
      k.relu_grad(n, p(y), p(dy), p(dz3));
      pool.spinUs = spin;
      const [yv, dyv, one, two, three] = [y, dy, dz1, dz2, dz3].map((t) => t.dataSync());
      const relu = { tasks: pool.tasks - t0, same: one.every((v, i) => Object.is(v, two[i]) && Object.is(v, three[i])) };
      const reluRight = two.every((v, i) => v === (yv[i] > 0 ? dyv[i] : 0));
      const ids = b.dataIdMap.numDataIds();
      const x = tf.tensor4d(values(16 * 32 * 32 * 8, 0.37), [16, 32, 32, 8]);
      const w = tf.tensor4d(values(3 * 3 * 8 * 16, 0.71), [3, 3, 8, 16]);
      tf.tidy(() => { tf.grads((x, w) => tf.sum(tf.square(tf.conv2d(x, w, 2, 'same'))))([x, w]).forEach((g) => g.dataSync()); tf.matMul(tf.ones([64, 700]), tf.ones([700, 512])).dataSync(); });
      tf.dispose([x, w]);
      console.log(JSON.stringify({ relu, reluRight, idsBefore: ids, idsAfter: b.dataIdMap.numDataIds(), split: pool.tasks - t0 }));`);
    assert.deepEqual(out.relu, { tasks: 2, same: true });
    assert.equal(out.reluRight, true, 'dz = dy where y > 0, else 0');
    assert.ok((out.split as number) >= 3, 'relu_grad, the convolution and the packed product were split');
    assert.equal(out.idsAfter, out.idsBefore, 'no heap scratch (partial sums, packing buffers) left behind');
  });
});

describe('a busy machine (fresh process)', () => {
  it('while other processes keep the cores busy (pool.quiet false) every task runs on the calling thread, with the same bits', () => {
    const out = fresh(`await select.selectBackend('wasm', { threads: 2 });
      const pool = split.kernelPool(tf.backend());
      const x = tf.tensor4d(values(16 * 32 * 32 * 16, 0.37), [16, 32, 32, 16]);
      const w = tf.tensor4d(values(3 * 3 * 16 * 16, 0.71), [3, 3, 16, 16]);
      const a = tf.tensor2d(values(256 * 500, 0.3), [256, 500]);
      const b = tf.tensor2d(values(500 * 400, 0.7), [500, 400]);
      const ops = () => tf.tidy(() => [...tf.grads((x, w) => tf.sum(tf.square(tf.conv2d(x, w, 1, 'same'))))([x, w]), tf.matMul(a, b)].flatMap((t) => Array.from(t.dataSync())));
      const run = (quiet) => {
        pool.quiet = () => quiet;
        const t0 = pool.tasks;
        const v = ops();
        return { tasks: pool.tasks - t0, threads: pool.threads, v };
      };
      const [busy, spare] = [run(false), run(true)];
      // What a run records (metrics.json's kernelThreads) is the pool's size, busy or not.
      pool.quiet = () => false;
      const recorded = split.startKernelThreads(tf.backend(), 2).kernelThreads;
      console.log(JSON.stringify({ busy: [busy.tasks, busy.threads], spare: [spare.tasks > 0, spare.threads], same: busy.v.every((x, i) => Object.is(x, spare.v[i])), recorded }));`);
    assert.deepEqual(out.busy, [0, 1], 'busy: no task split, one thread');
    assert.deepEqual(out.spare, [true, 2], 'cores to spare: split over 2 threads');
    assert.equal(out.same, true);
    assert.equal(out.recorded, 2);
  });
});

describe('spinWhile (a waiting thread polls before it sleeps)', () => {
  it('returns true as soon as the word differs, false once the time is up', () => {
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    ctl[1] = 5;
    assert.equal(spinWhile(ctl, 1, 4, 1_000_000), true, 'already changed: at once');
    const t0 = performance.now();
    assert.equal(spinWhile(ctl, 1, 5, 2000), false);
    assert.ok(performance.now() - t0 >= 2, 'polled for the 2 ms given');
    assert.equal(spinWhile(ctl, 1, 5, 0), false, 'no spin: at once');
  });
});

describe('the run record (fresh process)', () => {
  it('metrics.json records the threads mtl\'s kernels ran on, and the process ends after training', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-kpool-')), 'run');
    const spec = path.join(packageRoot(), 'test/fixtures/specs/tiny.yaml');
    const loop = JSON.stringify(path.join(dist, '../train/loop.js'));
    fresh(`await require(${loop}).train(${JSON.stringify(spec)}, { out: ${JSON.stringify(out)}, backend: 'wasm', threads: 2 }); console.log('{}');`);
    const backend = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).run.backend;
    assert.deepEqual({ threads: backend.threads, simdKernels: backend.simdKernels, kernelThreads: backend.kernelThreads }, { threads: 2, simdKernels: true, kernelThreads: 2 });
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });
});

describe("mtl's kernel threads when a worker fails (fresh processes)", () => {
  // The backend started without its pool, then one with a test fault; the product repeats until a
  // worker has claimed a chunk (the main thread may take them all while a worker is still waking).
  const start = (fault: string) => `
    require(${mod('wasm-kernels')}).registerWasmTrainingKernels();
    await require(${mod('wasm-threads')}).startWasm(2);
    await tf.setBackend('wasm');
    const b = tf.backend();
    const started = split.startKernelThreads(b, 2, { fault: '${fault}', timeoutMs: ${fault === 'stall' ? 300 : 30_000} });
    split.kernelPool(b).quiet = () => true;
    const a = tf.tensor2d(values(256 * 256, 0.13), [256, 256]);
    const product = () => tf.tidy(() => Array.from(tf.matMul(a, a).dataSync()));`;

  it("a worker's error is thrown on the main thread, naming the kernel", () => {
    const out = fresh(`${start('throw')}
      let error = null;
      for (let i = 0; i < 200 && !error; i++) { try { product(); } catch (e) { error = e.message; } }
      console.log(JSON.stringify({ started, error }));`);
    assert.deepEqual(out.started, { kernelThreads: 2 });
    assert.match(String(out.error), /sgemm: test fault \(on a worker thread\)/);
  });

  it('a stalled worker: its chunk runs on the main thread, right, with a one-line notice, and one thread from then on', () => {
    const out = fresh(`${start('stall')}
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.message));
      const pool = split.kernelPool(b);
      pool.paused = true;
      const one = product();
      pool.paused = false;
      let two;
      for (let i = 0; i < 200 && pool.threads > 1; i++) two = product();
      await new Promise((r) => setImmediate(r));
      console.log(JSON.stringify({ same: two.every((v, i) => Object.is(v, one[i])), threads: pool.threads, warnings }));`);
    assert.equal(out.same, true);
    assert.equal(out.threads, 1);
    assert.deepEqual(out.warnings, ["mtl's kernel threads did not finish sgemm in 0.3 s; its kernels run on the main thread from now on"]);
  });
});
