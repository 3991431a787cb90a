// The crf layer and the crf-nll loss, on cpu (JS loops) and wasm (SIMD kernels): the fused
// forward-algorithm NLL and Viterbi against brute force over every tag path, its gradient against
// central differences of the brute force and against autodiff of the previous op-by-op
// implementation, padding, underflow-prone scores, serialisation through stock tf.loadLayersModel,
// no tensor leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CRF, crfNll, tokenMask, viterbiDecode } from '../../../src/layers/crf';
import { affine } from '../../../src/layers/crf-ops';
import { crfNllLoss } from '../../../src/losses/crf-nll';
import { mulberry32 } from '../../../src/util/random';
import { useBackend } from '../../helpers/backend';
import { crfNllAutodiff } from '../../helpers/crf-reference';

const N = 3; // tags
const STEPS = 4;

/** All tag paths of length L over N tags. */
function paths(L: number): number[][] {
  if (L === 0) return [[]];
  return paths(L - 1).flatMap((p) => Array.from({ length: N }, (_, j) => [...p, j]));
}

function pathScore(E: number[][], A: number[][], start: number[], end: number[], y: number[]): number {
  let s = start[y[0]] + E[0][y[0]] + end[y[y.length - 1]];
  for (let t = 1; t < y.length; t++) s += A[y[t - 1]][y[t]] + E[t][y[t]];
  return s;
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
}

/** −log p(y | E) by enumerating every path over the first L tokens. */
function bruteNll(E: number[][], A: number[][], start: number[], end: number[], y: number[], L: number): number {
  const Ez = E.slice(0, L);
  const logZ = logSumExp(paths(L).map((p) => pathScore(Ez, A, start, end, p)));
  return logZ - pathScore(Ez, A, start, end, y.slice(0, L));
}

/** Uniform numbers in (−2, 2), fixed by seed (plain JS: the backend is not ready at describe time). */
function rand(seed: number, shape: number[]): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 4 - 2);
}
const rows = (flat: number[], w: number) => Array.from({ length: flat.length / w }, (_, i) => flat.slice(i * w, (i + 1) * w));

// On wasm the op and the decoder run as mtl's SIMD kernels (src/backend/simd/crf.c), on cpu as JS loops.
for (const backend of ['cpu', 'wasm'] as const) describe(`crf (${backend})`, () => {
  before(() => useBackend(backend));

  const A = rows(rand(1, [N, N]), N);
  const start = rand(2, [N]);
  const end = rand(3, [N]);
  const B = 3;
  const E = Array.from({ length: B }, (_, s) => rows(rand(10 + s, [STEPS, N]), N));
  const Y = [
    [0, 1, 2, 1],
    [2, 2, 0, 1],
    [1, 0, 0, 2],
  ];

  const cases: Array<{ name: string; lengths: number[] }> = [
    { name: 'without padding', lengths: [4, 4, 4] },
    { name: 'with padding', lengths: [4, 2, 1] },
  ];
  for (const c of cases) {
    it(`NLL equals brute-force enumeration of all ${N}^${STEPS} paths, ${c.name}`, () => {
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => {
        const mask = tf.tensor2d(c.lengths.map((L) => Array.from({ length: STEPS }, (_, t) => (t < L ? 1 : 0))));
        // Padded targets hold junk: the mask alone must keep them out.
        const tags = tf.tensor2d(Y.map((y, s) => y.map((v, t) => (t < c.lengths[s] ? v : (v + 1) % N))), undefined, 'int32');
        return crfNll(tf.tensor3d(E), tags, tokenMask(tags, mask), tf.tensor2d(A), tf.tensor1d(start), tf.tensor1d(end)).arraySync();
      });
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      for (let s = 0; s < B; s++) {
        const want = bruteNll(E[s], A, start, end, Y[s], c.lengths[s]);
        assert.ok(Math.abs(got[s] - want) < 1e-4, `sequence ${s}: ${got[s]} vs brute force ${want}`);
        assert.ok(got[s] > 0, 'an NLL is positive');
      }
    });

    it(`Viterbi equals the brute-force argmax path, ${c.name}`, () => {
      const dec = viterbiDecode(E.flat(2), B, STEPS, N, A.flat(), start, end, c.lengths);
      for (let s = 0; s < B; s++) {
        const L = c.lengths[s];
        let best: number[] = [];
        let bestScore = -Infinity;
        for (const p of paths(L)) {
          const v = pathScore(E[s].slice(0, L), A, start, end, p);
          if (v > bestScore) {
            bestScore = v;
            best = p;
          }
        }
        assert.deepEqual(Array.from(dec.slice(s * STEPS, s * STEPS + L)), best, `sequence ${s}`);
      }
    });
  }

  it('negative target tags count as padding without a mask', () => {
    const [padded, short] = tf.tidy(() => {
      const tags = tf.tensor2d([[0, 1, -1, -1]], undefined, 'int32');
      const args = [tf.tensor2d(A), tf.tensor1d(start), tf.tensor1d(end)] as const;
      const a = crfNll(tf.tensor3d([E[0]]), tags, tokenMask(tags), ...args).dataSync()[0];
      const shortTags = tf.tensor2d([[0, 1]], undefined, 'int32');
      const b = crfNll(tf.tensor3d([E[0].slice(0, 2)]), shortTags, tokenMask(shortTags), ...args).dataSync()[0];
      return [a, b];
    });
    assert.ok(Math.abs(padded - short) < 1e-5, `${padded} vs ${short}`);
  });

  it('outputs emissions (batch, steps, numTags), and reloads from its config through stock tf.loadLayersModel', async () => {
    const input = tf.input({ shape: [STEPS, 5] });
    const layer = new CRF({ name: 'tags', numTags: N, seed: 7 });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    assert.deepEqual(model.outputs[0].shape, [null, STEPS, N]);
    // kernel 5·3 + bias 3 + transitions 3·3 + start 3 + end 3
    assert.equal(model.countParams(), 5 * N + N + N * N + N + N);
    const x = tf.randomNormal([2, STEPS, 5], 0, 1, 'float32', 4);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const crf2 = loaded.layers.find((l) => l instanceof CRF) as CRF;
    assert.ok(crf2, 'the reloaded model has a CRF layer');
    assert.deepEqual(Array.from(crf2.scores().transitions.dataSync()), Array.from(layer.scores().transitions.dataSync()));
    const [p1, p2] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    assert.deepEqual(Array.from(p1.dataSync()), Array.from(p2.dataSync()));
    tf.dispose([x, p1, p2]);
    model.dispose();
    loaded.dispose();
  });

  it('crf-nll finds the layer of its task, and decode returns one-hot Viterbi paths', () => {
    const input = tf.input({ shape: [STEPS, 5] });
    const model = tf.model({ inputs: input, outputs: new CRF({ name: 'slots', numTags: N, seed: 1 }).apply(input) as tf.SymbolicTensor });
    const ctx = { taskType: 'classification' as const, outputDim: N, taskName: 'slots' };
    const lossFn = crfNllLoss.create({}, ctx);
    const decode = crfNllLoss.decode!({}, ctx);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomNormal([2, STEPS, 5], 0, 1, 'float32', 9);
      const out = model.predict(x) as tf.Tensor;
      const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 0, 0]]);
      const y = tf.tensor2d([[0, 1, 2, 0], [1, 1, 0, 0]], undefined, 'int32');
      const loss = lossFn(y, out, { mask, model }).arraySync() as number[];
      assert.equal(loss.length, 2);
      assert.ok(loss.every((v) => Number.isFinite(v) && v > 0));
      const oh = decode(out, { mask, model });
      assert.deepEqual(oh.shape, [2, STEPS, N]);
      const s = (model.layers[1] as CRF).scores();
      const want = viterbiDecode(out.dataSync(), 2, STEPS, N, s.transitions.dataSync(), s.start.dataSync(), s.end.dataSync(), [4, 2]);
      assert.deepEqual(Array.from(tf.argMax(oh, -1).dataSync()).slice(0, 6), Array.from(want).slice(0, 6));
      assert.throws(() => lossFn(y, out), /needs the model/);
    });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    model.dispose();
  });
});

/** Flat row-major numbers → the brute force's nested arrays. */
function nllByBruteForce(E: Float64Array | number[], A: number[], start: number[], end: number[], y: number[], L: number, T: number, K: number): number {
  const Es = rows(Array.from(E).slice(0, T * K), K);
  return bruteNll(Es, rows(A, K), start, end, y, L);
}

for (const backend of ['cpu', 'wasm'] as const) describe(`crf fused forward–backward gradient (${backend})`, () => {
  before(() => useBackend(backend));
  const K = 3;
  const T = 4;
  const A = rand(21, [K, K]);
  const start = rand(22, [K]);
  const end = rand(23, [K]);
  const lengths = [4, 3, 1, 2];
  const b = lengths.length;
  const E = rand(24, [b, T, K]);
  const Y = [0, 2, 1, 1, 2, 2, 0, -1, 1, -1, -1, -1, 0, 1, -1, -1];
  const maskOf = () => tf.tensor2d(lengths.flatMap((L) => Array.from({ length: T }, (_, t) => (t < L ? 1 : 0))), [b, T]);
  const sumNll = (e: number[], a: number[], st: number[], en: number[]) =>
    lengths.reduce((acc, L, s) => acc + nllByBruteForce(e.slice(s * T * K, (s + 1) * T * K), a, st, en, Y.slice(s * T, s * T + L), L, T, K), 0);

  /** Gradients of Σ_s NLL_s by the op under test, for emissions, transitions, start, end. */
  function grads(f: typeof crfNll): number[][] {
    return tf.tidy(() => {
      const tags = tf.tensor2d(Y, [b, T], 'int32');
      const mask = tokenMask(tags, maskOf());
      const g = tf.grads((e: tf.Tensor, a: tf.Tensor, st: tf.Tensor, en: tf.Tensor) => tf.sum(f(e, tags, mask, a as tf.Tensor2D, st as tf.Tensor1D, en as tf.Tensor1D)));
      return g([tf.tensor3d(E, [b, T, K]), tf.tensor2d(A, [K, K]), tf.tensor1d(start), tf.tensor1d(end)]).map((x) => Array.from(x.dataSync()));
    });
  }

  it('equals central differences of the brute-force NLL (float64), with padding', () => {
    const got = grads(crfNll);
    const h = 1e-5;
    const params = [E, A, start, end];
    params.forEach((param, which) => {
      for (let i = 0; i < param.length; i++) {
        const plus = params.map((q) => [...q]);
        const minus = params.map((q) => [...q]);
        plus[which][i] += h;
        minus[which][i] -= h;
        const numeric = (sumNll(plus[0], plus[1], plus[2], plus[3]) - sumNll(minus[0], minus[1], minus[2], minus[3])) / (2 * h);
        assert.ok(Math.abs(got[which][i] - numeric) < 1e-4, `parameter ${which}[${i}]: ${got[which][i]} vs numeric ${numeric}`);
      }
    });
    // Padded emissions get no gradient: row 2 has one real token.
    for (let t = 1; t < T; t++) for (let j = 0; j < K; j++) assert.equal(got[0][(2 * T + t) * K + j], 0);
  });

  it('equals autodiff of the previous op-by-op implementation (values and gradients), with padding', () => {
    const [want, got] = [grads(crfNllAutodiff), grads(crfNll)];
    want.forEach((w, k) => w.forEach((v, i) => assert.ok(Math.abs(got[k][i] - v) < 1e-5, `gradient ${k}[${i}]: ${got[k][i]} vs ${v}`)));
    const [a, r] = tf.tidy(() => {
      const tags = tf.tensor2d(Y, [b, T], 'int32');
      const args = [tf.tensor3d(E, [b, T, K]), tags, tokenMask(tags, maskOf()), tf.tensor2d(A, [K, K]), tf.tensor1d(start), tf.tensor1d(end)] as const;
      return [crfNll(...args).arraySync(), crfNllAutodiff(...args).arraySync()];
    });
    a.forEach((v, s) => assert.ok(Math.abs(v - r[s]) < 1e-5, `row ${s}: ${v} vs ${r[s]}`));
  });

  it('stays exact where shifted exponentials underflow (scores hundreds of nats apart)', () => {
    // Tag 1 is entered only through transitions (or a start) of −900, yet its emissions of +1000
    // make the paths through it dominate: every term of its shifted sum underflows in float64 and
    // the exact log-sum-exp must take over, or log Z loses the best paths.
    const a = [0, -900, 0, 0, 0, 0, 0, -900, 0];
    const st = [0, -900, 0];
    const en = [0, 0, 0];
    const e = rand(31, [1, T, K]).map((v, i) => (i >= K && i % K === 1 ? v + 1000 : v));
    const y = [0, 1, 1, 1];
    const got = tf.tidy(() => {
      const tags = tf.tensor2d([y], [1, T], 'int32');
      return crfNll(tf.tensor3d(e, [1, T, K]), tags, tokenMask(tags), tf.tensor2d(a, [K, K]), tf.tensor1d(st), tf.tensor1d(en)).dataSync()[0];
    });
    const want = nllByBruteForce(Array.from(Float32Array.from(e)), a, st, en, y, T, T, K);
    assert.ok(Math.abs(got - want) < 1e-3, `${got} vs brute force ${want}`);
    // The backward sweep's β hits the same underflow: its gradient must still match autodiff.
    const [gFused, gRef] = [crfNll, crfNllAutodiff].map((f) =>
      tf.tidy(() => {
        const tags = tf.tensor2d([y], [1, T], 'int32');
        const fe = (x: tf.Tensor) => tf.sum(f(x, tags, tokenMask(tags), tf.tensor2d(a, [K, K]), tf.tensor1d(st), tf.tensor1d(en)));
        return Array.from(tf.grad(fe)(tf.tensor3d(e, [1, T, K])).dataSync());
      }),
    );
    gRef.forEach((v, i) => assert.ok(Math.abs(gFused[i] - v) < 1e-4, `∂/∂E[${i}]: ${gFused[i]} vs ${v}`));
  });

  it('takes a gradient without leaking tensors', () => {
    const before = tf.memory().numTensors;
    grads(crfNll);
    assert.equal(tf.memory().numTensors, before);
  });

  it('takes a gradient when its tags and mask were disposed after the forward pass (tfjs-node reads ZerosLike inputs)', () => {
    // As the crf-nll loss does: tags and mask made inside a tidy in the differentiated function, so
    // they are gone by the backward pass. The cpu and wasm ZerosLike never read their input; tfjs-node's
    // hands it to TensorFlow and throws on a disposed one, so here ZerosLike reads it too.
    const zerosLike = tf.getKernel('ZerosLike', backend)!;
    tf.unregisterKernel('ZerosLike', backend);
    tf.registerKernel({ ...zerosLike, kernelFunc: (args) => ((args.backend as unknown as { readSync(id: object): unknown }).readSync(args.inputs.x!.dataId), zerosLike.kernelFunc(args)) });
    try {
      const got = tf.tidy(() => {
        const f = (e: tf.Tensor) =>
          tf.tidy(() => {
            const tags = tf.tensor2d(Y, [b, T], 'int32');
            return tf.sum(crfNll(e, tags, tokenMask(tags, maskOf()), tf.tensor2d(A, [K, K]), tf.tensor1d(start), tf.tensor1d(end)));
          });
        return Array.from(tf.grad(f)(tf.tensor3d(E, [b, T, K])).dataSync());
      });
      grads(crfNll)[0].forEach((v, i) => assert.equal(got[i], v, `∂/∂E[${i}]`));
    } finally {
      tf.unregisterKernel('ZerosLike', backend);
      tf.registerKernel(zerosLike);
    }
  });
});

for (const backend of ['cpu', 'wasm'] as const) describe(`crf emission projection (${backend})`, () => {
  before(() => useBackend(backend));

  // Upstream gradients with every row, with rows 1, 3, 4, 5 zero (as padding gives: the products run
  // over rows 0 and 2 only) and with none.
  const weights: Array<[string, (r: number) => boolean]> = [
    ['dense', () => true],
    ['mostly zero rows', (r) => r === 0 || r === 2],
    ['all zero', () => false],
  ];
  for (const [name, keep] of weights)
    it(`x·W + b and its gradients equal tfjs autodiff of matMul + add, upstream gradient ${name}`, () => {
      const [got, want] = [affine, (x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D) => tf.add(tf.matMul(x, W), b) as tf.Tensor2D].map((f) =>
        tf.tidy(() => {
          const args = [tf.tensor2d(rand(41, [6, 4]), [6, 4]), tf.tensor2d(rand(42, [4, 3]), [4, 3]), tf.tensor1d(rand(43, [3]))] as const;
          const R = tf.tensor2d(rand(44, [6, 3]).map((v, i) => (keep(Math.floor(i / 3)) ? v : 0)), [6, 3]);
          const g = tf.grads((x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor2D, W as tf.Tensor2D, b as tf.Tensor1D), R)))([...args]);
          return [Array.from(f(...args).dataSync()), ...g.map((t) => Array.from(t.dataSync()))];
        }),
      );
      want.forEach((w, k) => w.forEach((v, i) => assert.ok(Math.abs(got[k][i] - v) < 1e-5, `${['value', '∂x', '∂W', '∂b'][k]}[${i}]: ${got[k][i]} vs ${v}`)));
    });
});
