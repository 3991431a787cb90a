// The aggregator API over every gradient-combining method: hand-computed cases (MGDA, PCGrad, UPGrad,
// CAGrad), identical rows give the row back up to each method's documented scale, zero rows give no
// NaN, seeds make it deterministic, no tensor leaks, and option/method errors are config errors.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { mulberry32 } from '../../../src/util/random';
import { aggregate } from '../../../src/weighting/aggregate';
import { graddrop } from '../../../src/weighting/graddrop';
import { useBackend } from '../../helpers/backend';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));
const randJ = (seed: number, T: number, d: number) => {
  const r = mulberry32(seed);
  return Array.from({ length: T }, () => Array.from({ length: d }, () => r() * 2 - 1));
};
const assertClose = (got: number[], want: number[], tol: number, msg: string) => {
  assert.equal(got.length, want.length, msg);
  const err = Math.max(...got.map((x, i) => Math.abs(x - want[i])));
  assert.ok(err <= tol * Math.max(1, norm(want)), `${msg}: got ${got.map((x) => x.toFixed(5))} want ${want.map((x) => x.toFixed(5))}`);
};

export const GRADIENT_METHODS = ['mgda', 'pcgrad', 'cagrad', 'upgrad', 'nash-mtl', 'gradvac', 'imtl', 'graddrop', 'aligned-mtl', 'db-mtl', 'fairgrad', 'dualproj', 'config', 'moco', 'sdmgrad', 'modo', 'excessmtl'];

/** The documented first-step scale s with direction = s·g when all T rows equal g (losses 1). */
const IDENTICAL_SCALE: Record<string, (T: number, g: number[], o?: Record<string, unknown>) => number> = {
  mgda: () => 1,
  pcgrad: (T) => T,
  cagrad: () => 1.5 / 1.25, // (1 + c)/(1 + c²), c = 0.5
  upgrad: () => 1,
  'nash-mtl': (T, g) => Math.min(Math.sqrt(T), 1) / norm(g), // √T·g/‖g‖ clipped to maxNorm 1
  gradvac: (T) => T,
  imtl: () => 1,
  graddrop: (T) => T,
  'aligned-mtl': (T) => T,
  'db-mtl': (T) => T * (1 - 0.9), // T(1−β)·g/L
  fairgrad: (T, g) => Math.sqrt(T) / norm(g),
  dualproj: () => 1,
  config: (T) => T,
  moco: (_T, g) => 0.5 / norm(g), // β·L·g/‖g‖
  sdmgrad: () => 1,
  modo: () => 1,
  excessmtl: (T) => T,
};

describe('aggregate', () => {
  before(() => useBackend('cpu'));

  it('MGDA: the min-norm point of two gradients in closed form', () => {
    const cases: { rows: number[][]; want: number[] }[] = [
      { rows: [[2, 0], [0, 1]], want: [0.4, 0.8] }, // γ = 0.2 on (2,0)
      { rows: [[1, 0], [-0.5, Math.sqrt(3) / 2]], want: [0.25, Math.sqrt(3) / 4] }, // 120°: the midpoint
      { rows: [[1, 0], [3, 1]], want: [1, 0] }, // g1·g2 ≥ ‖g1‖²: g1 itself
    ];
    for (const { rows, want } of cases) assertClose(aggregate('mgda', rows).direction, want, 1e-6, JSON.stringify(rows));
  });

  it('MGDA: the direction lies in the convex hull of the rows, for every normalisation', () => {
    for (const normalization of ['none', 'l2', 'loss', 'loss+']) {
      const J = randJ(3, 4, 6);
      const { direction, weights } = aggregate('mgda', J, { normalization, losses: [0.5, 1, 2, 3] });
      assert.ok(weights!.every((w) => w >= -1e-9), normalization);
      assert.ok(Math.abs(weights!.reduce((a, b) => a + b, 0) - 1) < 1e-6, normalization);
      assertClose(direction, J[0].map((_, j) => J.reduce((s, r, t) => s + weights![t] * r[j], 0)), 1e-5, normalization);
    }
  });

  it('PCGrad removes exactly the conflicting component and leaves agreeing gradients alone', () => {
    // g1·g2 = −1: g1 → g1 − (−1/2)g2 = (0.5, 0.5), g2 → g2 − (−1/1)g1 = (0, 1); the sum is (0.5, 1.5).
    assertClose(aggregate('pcgrad', [[1, 0], [-1, 1]]).direction, [0.5, 1.5], 1e-6, 'conflicting');
    assertClose(aggregate('pcgrad', [[1, 0], [1, 1]]).direction, [2, 1], 1e-6, 'agreeing');
    // Each projected gradient is orthogonal to the one it conflicted with: with g1 = (1, 0), g2 = (−1, 0.2)
    // g1^PC·g2 = 0 and g2^PC·g1 = 0, so the sum is orthogonal to neither but equals their known sum.
    const g1 = [1, 0];
    const g2 = [-1, 0.2];
    const p1 = g1.map((x, i) => x - (dot(g1, g2) / dot(g2, g2)) * g2[i]);
    const p2 = g2.map((x, i) => x - (dot(g1, g2) / dot(g1, g1)) * g1[i]);
    assert.ok(Math.abs(dot(p1, g2)) < 1e-12 && Math.abs(dot(p2, g1)) < 1e-12);
    assertClose(aggregate('pcgrad', [g1, g2]).direction, [p1[0] + p2[0], p1[1] + p2[1]], 1e-6, 'orthogonal parts');
  });

  it('UPGrad and DualProj: non-negative inner product with every row, even with strong conflicts', () => {
    for (const method of ['upgrad', 'dualproj']) {
      for (let seed = 1; seed <= 5; seed++) {
        const J = randJ(seed, 5, 3); // 5 rows in 3-d
        const { direction } = aggregate(method, J);
        for (const row of J) assert.ok(dot(direction, row) >= -1e-5, `${method} seed ${seed}: ${dot(direction, row)}`);
        assert.ok(norm(direction) > 0 || J.length > 3, method);
      }
    }
  });

  it('UPGrad leaves non-conflicting rows as their mean', () => {
    const J = [[1, 0, 0], [0.5, 1, 0], [0.2, 0.1, 1]]; // pairwise inner products ≥ 0
    assertClose(aggregate('upgrad', J).direction, [1.7 / 3, 1.1 / 3, 1 / 3], 1e-6, 'mean');
  });

  it('GradDrop keeps agreeing coordinates whole and exactly one sign of a balanced conflict', () => {
    // Coordinate 0: +1 and −1, purity P = ½ — one of them survives; coordinate 1: both positive, P = 1.
    for (let seed = 0; seed < 6; seed++) {
      const [c0, c1] = aggregate('graddrop', [[1, 2], [-1, 3]], { seed }).direction;
      assert.equal(Math.abs(c0), 1, `seed ${seed}`);
      assert.equal(c1, 5, `seed ${seed}`);
    }
    // leak 1 passes every gradient through: the plain sum.
    assertClose(aggregate('graddrop', [[1, 2], [-1, 3]], { leak: 1 }).direction, [0, 5], 1e-6, 'leak 1');
  });

  it('GradDrop is the paper\'s per-entry masks (eq. 1–3) for the seed\'s draws U, at purities other than ½, with and without leak', () => {
    // Column 0: (3, −1) → P = ½(1 + 2/4) = 0.75; column 1: (−2, −1, …) P = 0; others random.
    const J = randJ(21, 5, 40);
    J[0][0] = 3; J[1][0] = -1; J[2][0] = 0; J[3][0] = 0; J[4][0] = 0;
    for (let t = 0; t < 5; t++) J[t][1] = -(t + 1);
    for (const [seed, leak] of [[3, 0], [4, 0], [9, 0.3]]) {
      const U = tf.tidy(() => Array.from(tf.randomUniform([40], 0, 1, 'float32', seed).dataSync()));
      const want = J[0].map((_, j) => {
        const col = J.map((r) => r[j]);
        const P = 0.5 * (1 + col.reduce((a, b) => a + b, 0) / (col.reduce((a, b) => a + Math.abs(b), 0) + 1e-7));
        return col.reduce((acc, g) => acc + leak * g + (1 - leak) * ((P > U[j] && g > 0) || (P < U[j] && g < 0) ? g : 0), 0);
      });
      const got = tf.tidy(() => Array.from(graddrop(tf.tensor2d(J), leak, seed).dataSync()));
      assertClose(got, want, 1e-5, `seed ${seed} leak ${leak}`);
      assert.ok(Math.abs(got[0] - ((U[0] < 0.75 ? 3 : -1) * (1 - leak) + leak * 2)) < 1e-6, `column 0, U = ${U[0]}: ${got[0]}`);
      assert.ok(Math.abs(got[1] + 15) < 1e-5, 'column 1: every entry negative, all kept');
    }
  });

  it('every method follows its scaling law when all gradients are scaled by 1e-4 or 1e3: no absolute epsilon steers the direction', () => {
    // d(aJ) = a^k d(J): k = 1 for the methods built from inner products and projections, k = 0 for the
    // ones that normalise each gradient's length away (Nash-MTL α ∝ 1/‖g‖, FairGrad, MoCo).
    const invariant = ['nash-mtl', 'fairgrad', 'moco'];
    // Scale-dependent by their papers' design: MoDo's weight step γ·GGᵀλ and ExcessMTL's first-step risks
    // (and AdaGrad ε) are in gradient units.
    const byDesign = ['modo', 'excessmtl'];
    const J = randJ(5, 3, 6);
    for (const m of GRADIENT_METHODS.filter((x) => !byDesign.includes(x))) {
      const k = invariant.includes(m) ? 0 : 1;
      const d1 = aggregate(m, J, { losses: [1, 1, 1] }).direction;
      for (const a of [1e-4, 1e3]) {
        const d2 = aggregate(m, J.map((r) => r.map((v) => v * a)), { losses: [1, 1, 1] }).direction;
        assertClose(d2.map((x) => x / a ** k), d1, 1e-4, `${m} at scale ${a}`);
      }
    }
  });

  it('CAGrad with c = 0 is the mean gradient (any rescale)', () => {
    const J = randJ(8, 3, 5);
    const mean = J[0].map((_, j) => (J[0][j] + J[1][j] + J[2][j]) / 3);
    for (const rescale of [0, 1, 2]) assertClose(aggregate('cagrad', J, { c: 0, rescale }).direction, mean, 1e-6, `rescale ${rescale}`);
    // c > 0 moves away from the mean towards the worst-off task.
    assert.ok(norm(aggregate('cagrad', J, { c: 0.5 }).direction.map((x, i) => x - mean[i])) > 1e-4);
  });

  it('matches the published torchjd outputs for J = [[-4, 1, 1], [6, 1, 1]] (their tests, atol 1e-4)', () => {
    const J = [[-4, 1, 1], [6, 1, 1]];
    const cases: [string, Record<string, unknown>, number[], number][] = [
      ['mgda', {}, [0, 1, 1], 1e-4],
      ['pcgrad', {}, [0.5848, 3.8012, 3.8012], 1e-4],
      ['cagrad', { c: 0.5, rescale: 0 }, [0.1835, 1.2041, 1.2041], 1e-4], // torchjd does not rescale
      ['imtl', {}, [0.0767, 1, 1], 1e-4],
      ['config', {}, [0.1588, 2.0706, 2.0706], 1e-4],
      ['nash-mtl', {}, [0.0542, 0.7061, 0.7061], 1e-4],
      ['aligned-mtl', {}, [0.4266, 1.9346, 1.9346], 2e-4], // torchjd averages (mean preference): ours sums, ×T
      // torchjd adds a 1e-4 ridge to the Gram matrix; the exact projections differ by less than 1e-3.
      ['upgrad', {}, [0.2929, 1.9004, 1.9004], 1e-3],
      ['dualproj', {}, [0.5563, 1.1109, 1.1109], 1e-3],
    ];
    for (const [m, o, want, tol] of cases) assertClose(aggregate(m, J, o).direction, want, tol, m);
  });

  it('identical rows give that row up to each method\'s documented scale', () => {
    const g = [0.3, -0.4, 1.2];
    for (const T of [2, 3]) {
      for (const m of GRADIENT_METHODS) {
        const J = Array.from({ length: T }, () => [...g]);
        const { direction } = aggregate(m, J, { seed: 1 });
        assertClose(direction, g.map((x) => x * IDENTICAL_SCALE[m](T, g)), 1e-4, `${m} T=${T}`);
      }
    }
  });

  it('a zero row (or an all-zero jacobian) gives finite numbers', () => {
    for (const m of GRADIENT_METHODS) {
      for (const J of [[[1, 2, -1], [0, 0, 0], [-1, 0.5, 0.2]], [[0, 0], [0, 0]]]) {
        const { direction, weights } = aggregate(m, J, { seed: 2 });
        assert.ok(direction.every(Number.isFinite), `${m}: ${direction}`);
        assert.ok((weights ?? []).every(Number.isFinite), `${m} weights: ${weights}`);
      }
    }
  });

  it('is deterministic for a seed, and the seed matters for stochastic methods', () => {
    const J = randJ(11, 4, 64);
    for (const m of GRADIENT_METHODS) assert.deepEqual(aggregate(m, J, { seed: 5 }), aggregate(m, J, { seed: 5 }), m);
    const a = aggregate('graddrop', J, { seed: 1 }).direction;
    const b = aggregate('graddrop', J, { seed: 2 }).direction;
    assert.notDeepEqual(a, b);
    // PCGrad's order only matters for T > 2: some seed must change the result on conflicting rows.
    const P = [[1, 0, 0], [-0.8, 1, 0], [-0.5, -0.9, 0.3], [0.2, -0.6, -1]];
    const outs = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => aggregate('pcgrad', P, { seed }).direction.map((x) => x.toFixed(6)).join()));
    assert.ok(outs.size > 1);
  });

  it('does not leak tensors', () => {
    const J = randJ(12, 3, 16);
    for (const m of [...GRADIENT_METHODS, 'static', 'equal']) {
      aggregate(m, J, { seed: 1 }); // first call may initialise kernels
      const before = tf.memory().numTensors;
      aggregate(m, J, { seed: 1 });
      assert.equal(tf.memory().numTensors, before, m);
    }
  });

  it('loss-based methods give Σ_t ∂L/∂L_t · g_t (static: the sum, equal: the mean)', () => {
    const J = [[1, 2], [3, -4]];
    assertClose(aggregate('static', J).direction, [4, -2], 1e-6, 'static');
    assertClose(aggregate('equal', J).direction, [2, -1], 1e-6, 'equal');
  });

  it('unknown methods and bad options are config errors with a hint; defaults are filled', () => {
    const J = [[1, 0], [0, 1]];
    const expectConfig = (f: () => unknown, re: RegExp) =>
      assert.throws(f, (e: unknown) => e instanceof MtlError && e.kind === 'config' && re.test(e.message));
    expectConfig(() => aggregate('pcgrd', J), /unknown weighting method "pcgrd".*did you mean "pcgrad"/);
    expectConfig(() => aggregate('cagrad', J, { cc: 0.1 }), /unknown option "cc".*did you mean "c"/);
    expectConfig(() => aggregate('mgda', J, { normalization: 'l3' }), /normalization.*"none", "l2", "loss", "loss\+"/);
    expectConfig(() => aggregate('cagrad', J, { c: -1 }), /options\.c/);
    expectConfig(() => aggregate('mgda', J, { losses: [1] }), /losses/);
    assert.throws(() => aggregate('mgda', [[1, 0], [1]]), (e: unknown) => e instanceof MtlError && e.kind === 'data');
    // Defaults: cagrad without options equals c = 0.5, rescale = 1.
    assert.deepEqual(aggregate('cagrad', [[1, 0], [-0.5, 1]]), aggregate('cagrad', [[1, 0], [-0.5, 1]], { c: 0.5, rescale: 1 }));
  });
});
