// Tests mtl's own WASM SIMD module: the committed .wasm files are built from today's sources (hash
// in kernels.json), sgemm, sgemm_at (A read transposed) and sgemm_packed equal a float64 product by
// definition (block sizes and every edge, strides, accumulate) on tensors where they lie on tfjs's heap, and the shared-memory build loads
// under the threaded backend in a fresh process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, SGEMM_SCRATCH, simdKernels } from '../../../src/backend/wasm-simd';
import { heapF32 } from '../../../src/backend/wasm-ops';
import { packageRoot } from '../../../src/util/paths';
import { useBackend } from '../../helpers/backend';

describe('SIMD module files', () => {
  it('kernels.json holds the hash of the current sources (run `npm run build:kernels` after editing src/backend/simd)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { sourcesHash } = require(path.join(packageRoot(), 'scripts', 'build-kernels.js')) as { sourcesHash: () => string };
    const recorded = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'src/backend/simd/kernels.json'), 'utf8')).sources;
    assert.equal(recorded, sourcesHash());
  });
});

/** A [rows × stride] matrix with deterministic values; only the first `cols` of each row are "in" it. */
function matrix(rows: number, cols: number, stride: number, k: number): Float32Array {
  return Float32Array.from({ length: rows * stride }, (_, i) => (i % stride < cols ? Math.sin(i * k + 0.3) : 1e6));
}

describe('sgemm on the wasm heap', () => {
  let backend: BackendWasm;
  before(async () => {
    await useBackend('wasm');
    backend = tf.backend() as unknown as BackendWasm;
  });

  // [m, n, k, extra stride]: 1×1, blocks of 4×8 exactly, every edge (m % 4, n % 8), k = 1, strides.
  const CASES: Array<[number, number, number, number]> = [
    [1, 1, 1, 0], [4, 8, 3, 0], [3, 5, 7, 0], [5, 9, 1, 0], [9, 17, 33, 2], [8, 16, 16, 3], [64, 256, 64, 0], [7, 31, 12, 5],
  ];
  // Every last column block of 1–7 columns (n % 8: 2, 3, 4, 6 here, the rest above), past groups of 16
  // rows (4 blocks of 4) with 1–3 rows left, and k = 0.
  const EDGES: Array<[number, number, number, number]> = [[21, 2, 5, 1], [18, 3, 4, 0], [37, 12, 9, 2], [6, 14, 3, 1], [23, 50, 17, 0], [4, 8, 0, 1]];
  // sgemm_packed also across its panels: k past 256 (KC), n past 512 (NC), and k = 0.
  const PACKED: Array<[number, number, number, number]> = [[5, 530, 300, 1], [6, 13, 257, 0], [3, 9, 0, 2]];
  const runs = [...[...CASES, ...EDGES].flatMap((c) => [['sgemm', c], ['sgemm_at', c]] as const), ...[...CASES, ...PACKED].map((c) => ['sgemm_packed', c] as const)];
  for (const [kernel, [m, n, k, pad]] of runs) {
    for (const accumulate of [0, 1]) {
      it(`${kernel} ${m}×${k} · ${k}×${n}, row padding ${pad}, accumulate ${accumulate}`, () => {
        // sgemm_at reads A stored transposed, [k × m]: A's element (i, p) at a[p·lda + i].
        const at = kernel === 'sgemm_at';
        const [lda, ldb, ldc] = [(at ? m : k) + pad, n + pad, n + pad];
        const [a, b, c0] = [at ? matrix(k, m, lda, 0.7) : matrix(m, k, lda, 0.7), matrix(k, n, ldb, 1.3), matrix(m, n, ldc, 0.2)];
        const infos = [a, b, c0].map((v) => backend.makeOutput([Math.max(v.length, 1)], 'float32'));
        infos.forEach((info, i) => heapF32(backend, info).set([a, b, c0][i]));
        const [pa, pb, pc] = infos.map((info) => heapOffset(backend, info));
        const scratch = backend.makeOutput([SGEMM_SCRATCH], 'float32');
        if (kernel === 'sgemm') simdKernels(backend)!.sgemm(m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate);
        else if (at) simdKernels(backend)!.sgemm_at(m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate);
        else simdKernels(backend)!.sgemm_packed(m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, heapOffset(backend, scratch));
        backend.disposeData(scratch.dataId);
        const c = heapF32(backend, infos[2]).slice();
        infos.forEach((info) => backend.disposeData(info.dataId));
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < ldc; j++) {
            if (j >= n) {
              assert.equal(c[i * ldc + j], c0[i * ldc + j], `padding at ${i},${j} untouched`);
              continue;
            }
            let s = accumulate ? c0[i * ldc + j] : 0;
            for (let p = 0; p < k; p++) s += (at ? a[p * lda + i] : a[i * lda + p]) * b[p * ldb + j];
            assert.ok(Math.abs(c[i * ldc + j] - s) <= 1e-5 * (1 + Math.abs(s)), `c[${i},${j}] = ${c[i * ldc + j]}, expected ${s}`);
          }
        }
      });
    }
  }

  it('is null off wasm (callers keep their other path)', async () => {
    await useBackend('cpu');
    try {
      assert.equal(simdKernels(), null);
    } finally {
      await useBackend('wasm');
    }
  });
});

describe('SIMD module under the threaded build (fresh process)', () => {
  it('loads on the shared memory and computes a 5×3 · 3×9 product', () => {
    const dist = path.join(__dirname, '../../../src/backend');
    const script = `
      const tf = require('@tensorflow/tfjs');
      const select = require(${JSON.stringify(path.join(dist, 'select.js'))});
      const simd = require(${JSON.stringify(path.join(dist, 'wasm-simd.js'))});
      (async () => {
        const info = await select.selectBackend('wasm', { threads: 2 });
        const b = tf.backend();
        const a = tf.tensor2d(Array.from({ length: 15 }, (_, i) => i - 7), [5, 3]);
        const m = tf.tensor2d(Array.from({ length: 27 }, (_, i) => (i % 5) - 2), [3, 9]);
        const c = tf.zeros([5, 9]);
        simd.simdKernels(b).sgemm(5, 9, 3, simd.heapOffset(b, a), 3, simd.heapOffset(b, m), 9, simd.heapOffset(b, c), 9, 0);
        const shared = b.wasm.wasmMemory.buffer instanceof SharedArrayBuffer;
        console.log(JSON.stringify({ threads: info.threads, shared, c: Array.from(c.dataSync()) }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000, cwd: packageRoot() });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { threads: number; shared: boolean; c: number[] };
    assert.equal(out.threads, 2);
    assert.equal(out.shared, true);
    const expected: number[] = [];
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 9; j++) {
        let s = 0;
        for (let p = 0; p < 3; p++) s += (i * 3 + p - 7) * (((p * 9 + j) % 5) - 2);
        expected.push(s);
      }
    }
    assert.deepEqual(out.c, expected);
  });
});
