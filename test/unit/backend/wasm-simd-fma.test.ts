// Tests the choice between mtl's plain and relaxed-SIMD kernel builds (src/backend/wasm-simd.ts): by
// default the relaxed one runs and its multiply-adds are fused — one rounding, seen on a product whose
// exact value lies below float32's resolution at 1 —; MTL_FMA=0 keeps the plain one (two roundings);
// both give the same convolution within float noise, and metrics' backend record says which ran.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';

interface Seen { fma: boolean; product: number; conv: number[] }

/** In a fresh process (the choice is made once per backend), with MTL_FMA as given. */
function run(fma: string | undefined): Seen {
  const dist = path.join(__dirname, '../../..');
  const script = `
    const tf = require('@tensorflow/tfjs');
    const { selectBackend } = require(${JSON.stringify(path.join(dist, 'src/backend/select.js'))});
    const { heapOffset, simdKernels } = require(${JSON.stringify(path.join(dist, 'src/backend/wasm-simd.js'))});
    const { heapF32 } = require(${JSON.stringify(path.join(dist, 'src/backend/wasm-ops.js'))});
    (async () => {
      const info = await selectBackend('wasm', { threads: 1 });
      const backend = tf.backend();
      // C = a0·b0 + a1·b1 with a0 = −1, b0 = 1 + 2⁻¹¹, a1 = b1 = 1 + 2⁻¹²: exactly 2⁻²⁴. Rounded after the
      // multiply, (1 + 2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴ becomes 1 + 2⁻¹¹ (a tie, to even) and the sum is 0.
      // Four rows of A, eight columns of B: one register block (the scalar edge path has no SIMD).
      const rep = (x, n) => Array(n).fill(x);
      const [a, b, c] = [rep([-1, 1 + 2 ** -12], 4).flat(), [...rep(1 + 2 ** -11, 8), ...rep(1 + 2 ** -12, 8)], rep(7, 32)].map((v) => {
        const t = backend.makeOutput([v.length], 'float32');
        heapF32(backend, t).set(v);
        return t;
      });
      const [pa, pb, pc] = [a, b, c].map((t) => heapOffset(backend, t));
      simdKernels(backend).sgemm(4, 8, 2, pa, 2, pb, 8, pc, 8, 0);
      const out = heapF32(backend, c);
      const product = out.every((x) => x === out[0]) ? out[0] : NaN;
      // A block-edge convolution (oc 10: vectors of 4, 4 and 2) through the layers' kernel.
      const v = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k));
      const y = tf.conv2d(tf.tensor4d(v(2 * 9 * 9 * 3, 0.37), [2, 9, 9, 3]), tf.tensor4d(v(5 * 5 * 3 * 10, 0.71), [5, 5, 3, 10]), 1, 'same');
      console.log(JSON.stringify({ fma: info.fma, product, conv: Array.from(y.dataSync()) }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const env = { ...process.env };
  delete env.MTL_FMA;
  if (fma !== undefined) env.MTL_FMA = fma;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env, timeout: 120_000, cwd: dist });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Seen;
}

describe('relaxed-SIMD build (fused multiply-add)', () => {
  const fused = run(undefined);
  const plain = run('0');

  it('runs by default and fuses: the product keeps the 2⁻²⁴ that a rounded multiply loses', () => {
    assert.equal(fused.fma, true);
    assert.equal(fused.product, 2 ** -24);
  });

  it('MTL_FMA=0 keeps the plain build: multiply, round, add', () => {
    assert.equal(plain.fma, false);
    assert.equal(plain.product, 0);
  });

  it('both builds give the same convolution within float noise, and not bit for bit', () => {
    assert.equal(fused.conv.length, plain.conv.length);
    let differ = 0;
    fused.conv.forEach((x, i) => {
      assert.ok(Math.abs(x - plain.conv[i]) <= 1e-5 * (1 + Math.abs(plain.conv[i])), `y[${i}]: ${x} vs ${plain.conv[i]}`);
      if (x !== plain.conv[i]) differ++;
    });
    assert.ok(differ > 0, 'the fused build rounds once per multiply-add, so some outputs differ in the last bits');
  });
});
