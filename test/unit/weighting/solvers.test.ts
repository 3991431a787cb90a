// Solvers say when they fail, and degenerate Jacobians give bounded weights. Expected values are hand
// computed: Nash-MTL's α_i (Gᵀ… ) closed forms, CAGrad's fallback to the mean gradient; CAGrad's simplex
// solutions are checked by their optimality conditions (computed here from the paper's objective) and,
// at T = 2, against a bisection on the objective's derivative.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { aggregate } from '../../../src/weighting/aggregate';
import { cagradWeights } from '../../../src/weighting/cagrad';
import { gramOf, type SolverStatus } from '../../../src/weighting/gradmath';
import { mulberry32 } from '../../../src/util/random';
import { strategies } from '../../../src/weighting/index';
import { nashWeights } from '../../../src/weighting/nash-mtl';
import type { GradientStrategy } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';

const close = (a: readonly number[], b: readonly number[], tol: number, what = '') =>
  assert.ok(a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tol), `${what}: got ${a}, want ${b}`);
const gram = (G: number[][]) => G.map((r) => G.map((s) => r.reduce((a, x, k) => a + x * s[k], 0)));
const status = (): SolverStatus => ({ status: 'converged', iterations: -1, residual: -1 });

describe('Nash-MTL solver', () => {
  before(() => useBackend('cpu'));

  it('orthogonal, identical and T > d rows: the closed forms, converged within the 1e-6 residual', () => {
    // Orthogonal: α_i²‖g_i‖² = 1 → α = 1/‖g_i‖.
    const s1 = status();
    close(nashWeights(gram([[2, 0], [0, 1]]), 50, undefined, s1), [0.5, 1], 1e-5, 'orthogonal');
    assert.equal(s1.status, 'converged');
    assert.ok(s1.residual <= 1e-6, `residual ${s1.residual}`);
    // Identical g (‖g‖ = 5): α_i(α_1 + α_2)·25 = 1 → α_i = 1/(5√2).
    close(nashWeights(gram([[3, 4], [3, 4]]), 50), [1 / (5 * Math.SQRT2), 1 / (5 * Math.SQRT2)], 1e-5, 'identical');
    // T = 3 > d = 1, g = 1, 2, 3: α_i g_i s = 1 with s = Σα_j g_j = 3/s → s = √3, α_i = 1/(g_i√3).
    close(nashWeights(gram([[1], [2], [3]]), 50), [1, 2, 3].map((g) => 1 / (g * Math.sqrt(3))), 1e-5, 'T > d');
  });

  it('warm start: a second solve from the previous solution needs no iteration', () => {
    const M = gram([[2, 0.5], [0.3, 1]]);
    const first = status();
    const alpha = nashWeights(M, 50, undefined, first);
    assert.ok(first.iterations > 0);
    const again = status();
    close(nashWeights(M, 50, alpha, again), alpha, 1e-9, 'warm');
    assert.equal(again.iterations, 0);
  });

  it('opposed gradients: no positive solution → status fallback, α_t = 1/‖g_t‖ (bounded), said in the step', () => {
    const s = status();
    const alpha = nashWeights(gram([[2, 0], [-1, 0]]), 20, undefined, s);
    assert.equal(s.status, 'fallback');
    assert.match(s.reason ?? '', /no positive solution/);
    close(alpha, [0.5, 1], 1e-12, 'fallback');
    // Through the strategy: the status is on the update, and the weights (reused by updateEvery) are bounded.
    const nash = strategies.get('nash-mtl').create({ maxNorm: 0 }, { taskNames: ['a', 'b'], taskWeights: [1, 1], seed: 0 }) as GradientStrategy;
    let u: { w: number[]; solver?: SolverStatus } = { w: [] };
    tf.tidy(() => {
      const r = nash.combine({ taskNames: ['a', 'b'], present: [0, 1], losses: [tf.scalar(1), tf.scalar(1)], step: 0, epoch: 1, epochLosses: [], grads: tf.tensor2d([[2, 0], [-1, 0]]) });
      u = { w: Array.from(r.weights.dataSync()), solver: r.solver };
    });
    close(u.w, [0.5, 1], 1e-6, 'strategy weights');
    assert.equal(u.solver?.status, 'fallback');
  });
});

/**
 * CAGrad's dual, min_{w∈Δ} F(w) = wᵀMḡ + √φ·√(wᵀMw + 1e-8) with ḡ the mean weights and √φ = c·√(ḡᵀMḡ)
 * (Liu et al. eq. 8), written out here: its gradient, and the simplex weights w recovered from the
 * coefficients cagradWeights returns (coef·(1 + c²) = ḡ + λw with Σw = 1).
 */
function cagradDual(raw: number[][], c: number) {
  // mtl solves on the Gram matrix divided by its largest diagonal entry (the weights do not depend on
  // scale); the residual it reports is the duality gap there.
  const top = Math.max(...raw.map((r, i) => r[i]));
  const M = raw.map((r) => r.map((v) => v / top));
  const T = M.length;
  const mv = (x: number[]) => M.map((r) => r.reduce((a, v, j) => a + v * x[j], 0));
  const dotp = (a: number[], b: number[]) => a.reduce((acc, v, i) => acc + v * b[i], 0);
  const mean = new Array<number>(T).fill(1 / T);
  const b = mv(mean);
  const s = c * Math.sqrt(dotp(mean, b));
  const grad = (w: number[]) => {
    const Mw = mv(w);
    const n = Math.sqrt(dotp(w, Mw) + 1e-8);
    return b.map((bi, i) => bi + (s * Mw[i]) / n);
  };
  const simplexW = (coef: number[]) => {
    const u = coef.map((x, i) => x * (1 + c * c) - mean[i]);
    const lambda = u.reduce((a, v) => a + v, 0);
    return u.map((v) => v / lambda);
  };
  return { grad, simplexW, scale: Math.max(...b.map(Math.abs)) + s * Math.sqrt(Math.max(...M.map((r, i) => r[i]))) };
}

/** KKT on the simplex: ∇F equal (= μ) on the support, ≥ μ off it, within `tol` of F's scale. */
function assertStationary(M: number[][], c: number, coef: number[], tol: number, what: string) {
  const { grad, simplexW, scale } = cagradDual(M, c);
  const w = simplexW(coef);
  assert.ok(w.every((x) => x >= -1e-12) && Math.abs(w.reduce((a, x) => a + x, 0) - 1) < 1e-9, `${what}: w ${w} not on the simplex`);
  const g = grad(w);
  const mu = Math.min(...g);
  g.forEach((gi, i) => {
    if (w[i] > 1e-7) assert.ok(gi - mu <= tol * scale, `${what}: support entry ${i} has ∇F ${gi} > μ ${mu} (w ${w})`);
  });
}

describe('CAGrad simplex solver: converges, and says how far from the minimum it is', () => {
  before(() => useBackend('cpu'));
  const randGram = (seed: number, T: number, d: number) => {
    const r = mulberry32(seed);
    return gram(Array.from({ length: T }, () => Array.from({ length: d }, () => r() * 2 - 1)));
  };

  it('T = 2: the weight of the bisection on dF/dx = 0, to 1e-9', () => {
    const M = gram([[1, 0.3], [-0.2, 0.7]]);
    const c = 0.5;
    const { grad, simplexW } = cagradDual(M, c);
    // F(x, 1 − x) is convex in x; its derivative ∇F₀ − ∇F₁ is increasing.
    const slope = (x: number) => { const g = grad([x, 1 - x]); return g[0] - g[1]; };
    let [lo, hi] = [0, 1];
    for (let k = 0; k < 200; k++) { const mid = (lo + hi) / 2; if (slope(mid) > 0) hi = mid; else lo = mid; }
    const s = status();
    const w = simplexW(cagradWeights(M, c, 1, s));
    close(w, [lo, 1 - lo], 1e-9, 'weights');
    assert.equal(s.status, 'converged');
  });

  it('nearly orthogonal tasks, T = 8 (representation gradients of independent heads): converged in well under 500 iterations, KKT holds', () => {
    // The old stopping rule (a move under 1e-12) was never met here: 500 iterations, status max-iterations.
    for (const seed of [1, 2, 3]) {
      const M = randGram(seed, 8, 4096);
      const s = status();
      const coef = cagradWeights(M, 0.5, 1, s);
      assert.equal(s.status, 'converged', `seed ${seed}: ${JSON.stringify(s)}`);
      assert.ok(s.iterations < 100, `seed ${seed}: ${s.iterations} iterations`);
      assert.ok(s.residual <= 1e-12 * cagradDual(M, 0.5).scale, `seed ${seed}: gap ${s.residual}`);
      assertStationary(M, 0.5, coef, 1e-10, `seed ${seed}`);
    }
  });

  it('conflicting tasks with weights at 0, T > d, and c = 2: KKT holds, converged, residual is the duality gap', () => {
    const cases: Array<[string, number[][], number]> = [
      ['conflict', gram([[1, 0], [-0.9, 0.1], [0.1, 1], [-1, -1]]), 0.5],
      ['T > d', randGram(7, 6, 3), 0.5],
      ['wide ball', randGram(8, 4, 20), 2],
    ];
    for (const [what, M, c] of cases) {
      const s = status();
      const coef = cagradWeights(M, c, 1, s);
      assert.equal(s.status, 'converged', `${what}: ${JSON.stringify(s)}`);
      // The reported residual is the gap ∇Fᵀw − min ∇F, recomputed here.
      const { grad, simplexW, scale } = cagradDual(M, c);
      const w = simplexW(coef);
      const g = grad(w);
      const gap = g.reduce((a, gi, i) => a + gi * w[i], 0) - Math.min(...g);
      assert.ok(Math.abs(s.residual - Math.max(gap, 0)) <= 1e-9 * scale, `${what}: residual ${s.residual} vs gap ${gap}`);
      assertStationary(M, c, coef, 1e-10, what);
      if (what === 'conflict') assert.ok(w.some((x) => x < 1e-9), `conflict: some weight at 0 (w ${w})`);
    }
  });

  it('the weights do not depend on the gradients\' scale (gradients of norm 1e-6 … 1e3: Gram × 1e-12 … 1e6)', () => {
    // Before, the 1e-8 guards acted on the raw Gram matrix: at norm 1e-6 the coefficients were 20.8 and 41.3
    // instead of 0.39 and 0.50 — a 50× step, silently.
    const M = [[1, -0.5, 0.2], [-0.5, 2, 0.1], [0.2, 0.1, 0.5]];
    const ref = cagradWeights(M, 0.5, 1);
    for (const a of [1e-6, 1e-4, 1e-2, 1e3]) close(cagradWeights(M.map((r) => r.map((v) => v * a * a)), 0.5, 1), ref, 1e-9, `scale ${a}`);
    assertStationary(M, 0.5, ref, 1e-10, 'scale 1');
  });

  it('identical tasks: every w is a minimum — converged at once, direction (1 + c)/(1 + c²)·g', () => {
    const s = status();
    const coef = cagradWeights(gram([[3, 4], [3, 4], [3, 4]]), 0.5, 1, s);
    assert.deepEqual([s.status, s.iterations], ['converged', 0]);
    close([coef.reduce((a, x) => a + x, 0)], [1.5 / 1.25], 1e-9, 'Σ coef');
  });
});

describe('degenerate Jacobians: bounded weights for every method', () => {
  before(() => useBackend('cpu'));

  it('CAGrad with a zero row falls back to the mean gradient: weights 0.5/(1 + c²) each, not 1e7', () => {
    const s = status();
    close(cagradWeights(gramOf(tf.tensor2d([[1, 0], [0, 0]])), 0.5, 1, s), [0.4, 0.4], 1e-9, 'zero row');
    assert.equal(s.status, 'fallback');
    close(cagradWeights(gram([[0, 0], [0, 0]]), 0.5, 1), [0.4, 0.4], 1e-9, 'all zero');
  });

  const CASES: Record<string, number[][]> = {
    identical: [[1, 2], [1, 2]],
    opposed: [[1, 0], [-1, 0]],
    'zero row': [[1, 2], [0, 0]],
    'tiny row': [[1, 2], [1e-9, -1e-9]],
    'T > d': [[1], [2], [-1]],
  };
  for (const method of strategies.types()) {
    it(`${method}: finite, bounded weights on identical, opposed, zero, tiny and T > d Jacobians`, () => {
      for (const [name, J] of Object.entries(CASES)) {
        const { direction, weights } = aggregate(method, J, { losses: J.map(() => 1) });
        const norms = J.map((r) => Math.hypot(...r));
        const top = Math.max(...norms);
        assert.ok(direction.every(Number.isFinite) && Math.hypot(...direction) <= 100 * top, `${method} ${name}: direction ${direction}`);
        // A zero row's weight is a bounded number (before: cagrad 2.6e7, db-mtl 5.4e6); a tiny row may carry a
        // large coefficient (PCGrad projects onto its normal plane), but never a large contribution |w|·‖g‖.
        (weights ?? []).forEach((w, t) => {
          assert.ok(Number.isFinite(w) && Math.abs(w) * norms[t] <= 100 * top, `${method} ${name}: weights ${weights}`);
          if (norms[t] === 0 || norms[t] > 1e-3 * top) assert.ok(Math.abs(w) <= 100, `${method} ${name}: weights ${weights}`);
        });
      }
    });
  }
});
