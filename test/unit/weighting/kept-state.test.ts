// The methods that keep a T×d tensor between steps (ExcessMTL's S, DB-MTL's buffers, MoCo's Y) over
// several steps with every task present — where KeptMatrix hands out the kept tensor itself rather than
// a copy — against their update rules computed here in plain numbers; and KeptMatrix's rows/release.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { KeptMatrix } from '../../../src/weighting/gradient-common';
import { strategies } from '../../../src/weighting/index';
import type { GradientStrategy } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';

type M = number[][];
const T = 3;
/** Three steps of task gradients (T×4) and losses. */
const STEPS: { G: M; L: number[] }[] = [
  { G: [[1, -2, 0.5, 3], [0.2, 0.4, -1, 0], [-3, 1, 1, 2]], L: [2, 0.5, 1.5] },
  { G: [[0.5, -1, 2, 1], [1, 0.3, -0.5, 0.2], [-1, 2, 0.5, 1]], L: [1.6, 0.45, 1.2] },
  { G: [[2, 0, -1, 0.5], [0.1, 0.9, -0.2, 0.4], [-2, 0.5, 1.5, -1]], L: [1.2, 0.4, 1.0] },
];

const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);
const dot = (a: number[], b: number[]) => sum(a.map((x, i) => x * b[i]));
const combo = (w: number[], G: M) => G[0].map((_, j) => sum(w.map((x, t) => x * G[t][j])));
const close = (got: ArrayLike<number>, want: number[], what: string) => {
  const g = Array.from(got);
  assert.equal(g.length, want.length, what);
  g.forEach((x, i) => assert.ok(Math.abs(x - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `${what}[${i}]: ${x} vs ${want[i]} (${g} vs ${want})`));
};

/** He et al. Alg. 1 as the module states it: S += g²; r = Σ g²/√(S+ε), over the first step's r after it; w ← w·e^{ηr}, Σ w = T. */
function excessReference(eta: number) {
  let S: M | null = null;
  let w = new Array<number>(T).fill(1);
  let first: number[] | null = null;
  return (G: M) => {
    S = G.map((row, t) => row.map((x, j) => (S ? S[t][j] : 0) + x * x));
    const risks = G.map((row, t) => sum(row.map((x, j) => (x * x) / Math.sqrt((S as M)[t][j] + 1e-7))));
    const r = first ? risks.map((x, t) => x / (first as number[])[t]) : risks;
    first ??= risks;
    const next = w.map((x, t) => x * Math.exp(eta * r[t]));
    w = next.map((x) => (x * T) / sum(next));
    return { direction: combo(w, G), weights: w, headWeights: w };
  };
}

/** Lin et al. eq. 3–5 with σ = 0: buffer ← ĝ + β(buffer − ĝ), ĝ = g/(L+ε), buffer from 0; α_t = max‖buffer‖/‖buffer_t‖. */
function dbMtlReference(beta: number) {
  let B: M = STEPS[0].G.map((r) => r.map(() => 0));
  return (G: M, L: number[]) => {
    B = G.map((row, t) => row.map((x, j) => x / (L[t] + 1e-8) + beta * (B[t][j] - x / (L[t] + 1e-8))));
    const norms = B.map((r) => Math.sqrt(dot(r, r)));
    const alpha = norms.map((n) => Math.max(...norms) / n);
    return { direction: combo(alpha, B), weights: alpha, headWeights: L.map((l) => 1 / (l + 1e-8)) };
  };
}

/** Projection onto the probability simplex by bisection on the shift (independent of the module's sort-based one). */
function simplex(v: number[]): number[] {
  let lo = Math.min(...v) - 1;
  let hi = Math.max(...v);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (sum(v.map((x) => Math.max(x - mid, 0))) > 1) lo = mid;
    else hi = mid;
  }
  return v.map((x) => Math.max(x - (lo + hi) / 2, 0));
}

/** Fernando et al. Alg. 1 (the module's defaults β .5, γ .1, both decaying as 1/√k, ρ 0): Y ← Y − β_k(Y − h), h_t = L_t g_t/‖g_t‖. */
function mocoReference() {
  let Y: M = STEPS[0].G.map((r) => r.map(() => 0));
  let lambda = new Array<number>(T).fill(1 / T);
  let k = 0;
  return (G: M, L: number[]) => {
    k++;
    const b = 0.5 / Math.sqrt(k);
    const gamma = 0.1 / Math.sqrt(k);
    Y = G.map((row, t) => row.map((x, j) => Y[t][j] - b * (Y[t][j] - (L[t] * x) / (Math.sqrt(dot(row, row)) + 1e-8))));
    const YY = Y.map((a) => Y.map((c) => dot(a, c)));
    lambda = simplex(lambda.map((l, i) => l - gamma * dot(YY[i], lambda)));
    return { direction: combo(lambda, Y), weights: lambda };
  };
}

describe('T×d method state kept between steps', () => {
  before(() => useBackend('cpu'));

  const cases: [string, Record<string, unknown>, () => (G: M, L: number[]) => { direction: number[]; weights: number[]; headWeights?: number[] }][] = [
    ['excessmtl', { robustStepSize: 0.5 }, () => excessReference(0.5)],
    ['db-mtl', {}, () => dbMtlReference(0.9)],
    ['moco', {}, () => mocoReference()],
  ];
  for (const [method, options, reference] of cases) {
    it(`${method}: three steps with every task present follow the update rule, without growing the tensor count`, () => {
      const s = strategies.get(method).create({ method, ...options }, { taskNames: ['a', 'b', 'c'], taskWeights: [1, 1, 1], seed: 1 }) as GradientStrategy;
      const ref = reference();
      const counts: number[] = [];
      for (const [k, { G, L }] of STEPS.entries()) {
        const want = ref(G, L);
        tf.tidy(() => {
          const u = s.combine({ taskNames: ['a', 'b', 'c'], present: [0, 1, 2], losses: L.map((l) => tf.scalar(l)), step: k, epoch: 1, epochLosses: [], grads: tf.tensor2d(G) });
          close(u.direction.dataSync(), want.direction, `${method} step ${k} direction`);
          close(u.weights.dataSync(), want.weights, `${method} step ${k} weights`);
          if (want.headWeights) close((u.headWeights as tf.Tensor1D).dataSync(), want.headWeights, `${method} step ${k} head weights`);
        });
        counts.push(tf.memory().numTensors);
      }
      assert.deepEqual(counts.slice(1), [counts[0], counts[0]]);
      s.dispose();
    });
  }

  it('KeptMatrix: every task present reads the kept tensor itself (release keeps it); some tasks read a copy (release frees it)', () => {
    const m = new KeptMatrix();
    assert.equal(m.rows([0, 1, 2]), null);
    m.set(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
    const all = m.rows([0, 1, 2]) as tf.Tensor2D;
    assert.equal(all, m.get());
    m.release(all);
    assert.equal(all.isDisposed, false);
    const some = m.rows([0, 2]) as tf.Tensor2D;
    assert.notEqual(some, m.get());
    assert.deepEqual(some.arraySync(), [[1, 2], [5, 6]]);
    m.release(some);
    assert.equal(some.isDisposed, true);
    assert.equal((m.get() as tf.Tensor2D).isDisposed, false);
    m.setRows([1], tf.tensor2d([[7, 8]]), 3);
    assert.deepEqual(m.toJson(), [[1, 2], [7, 8], [5, 6]]);
    m.setRows([0, 1, 2], tf.tensor2d([[0, 0], [1, 1], [2, 2]]), 3);
    assert.equal(all.isDisposed, true);
    assert.deepEqual(m.toJson(), [[0, 0], [1, 1], [2, 2]]);
    m.dispose();
  });
});
