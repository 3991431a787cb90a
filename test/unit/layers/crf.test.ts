// The crf layer and the crf-nll loss: the forward-algorithm NLL and Viterbi against brute force over
// every tag path, padding, serialisation through stock tf.loadLayersModel, no tensor leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CRF, crfNll, tokenMask, viterbiDecode } from '../../../src/layers/crf';
import { crfNllLoss } from '../../../src/losses/crf-nll';
import { mulberry32 } from '../../../src/util/random';
import { useBackend } from '../../helpers/backend';

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

describe('crf', () => {
  before(() => useBackend('cpu'));

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
