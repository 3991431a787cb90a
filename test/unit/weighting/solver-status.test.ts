// Solver status of the closed-form and one-step methods (imtl, aligned-mtl, config, sdmgrad, modo,
// moco) on identical, opposed, zero-row and T > d Jacobians, beside a well-posed orthogonal one. Every
// expected weight, status, rank, condition and residual is derived by hand in the comments.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { alignedMtlWeights } from '../../../src/weighting/aligned-mtl';
import { configWeights } from '../../../src/weighting/config';
import type { SolverStatus } from '../../../src/weighting/gradmath';
import { imtlWeights } from '../../../src/weighting/imtl';
import { strategies } from '../../../src/weighting/index';
import { mocoStep } from '../../../src/weighting/moco';
import { modoWeights } from '../../../src/weighting/modo';
import { sdmgradStep } from '../../../src/weighting/sdmgrad';
import type { GradientStrategy } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';

const gram = (G: number[][]) => G.map((r) => G.map((s) => r.reduce((a, x, k) => a + x * s[k], 0)));
const close = (a: readonly number[], b: readonly number[], tol: number, what: string) =>
  assert.ok(a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tol), `${what}: got ${a}, want ${b}`);
const fresh = (): SolverStatus => ({ status: 'converged', iterations: -1, residual: -1 });

const J = {
  orthogonal: [[2, 0], [0, 1]],
  identical: [[1, 2], [1, 2]],
  opposed: [[1, 0], [-1, 0]],
  zeroRow: [[1, 2], [0, 0]],
  tallT: [[1], [2], [-1]], // T = 3 > d = 1
  allZero: [[0, 0], [0, 0]],
};

/** Runs `f` on the Gram matrix of `G` and returns its weights and the status it reported. */
function solve(f: (M: number[][], out: SolverStatus) => number[], G: number[][]): { w: number[]; s: SolverStatus } {
  const s = fresh();
  return { w: f(gram(G), s), s };
}

describe('IMTL-G: status of the closed form α_{2:T} = g_1Uᵀ(DUᵀ)⁻¹', () => {
  it('orthogonal g1 = (2,0), g2 = (0,1): DUᵀ = 2 + 1 = 3, α2 = 2/3 — ok, condition 1', () => {
    // g1·u1 = 2, g1·u2 = 0, g2·u1 = 0, g2·u2 = 1: A = 2 − 0 − 0 + 1 = 3, b = 2.
    const { w, s } = solve(imtlWeights, J.orthogonal);
    close(w, [1 / 3, 2 / 3], 1e-9, 'weights');
    assert.deepEqual([s.status, s.rank, s.size], ['ok', 1, 1]);
    close([s.condition!, s.residual], [1, 0], 1e-9, 'condition, residual');
  });

  it('opposed: A = 1 + 1 + 1 + 1 = 4, b = 2 → α = (½, ½), the zero direction — ok', () => {
    const { w, s } = solve(imtlWeights, J.opposed);
    close(w, [0.5, 0.5], 1e-9, 'weights');
    assert.equal(s.status, 'ok');
  });

  it('identical: DUᵀ = 0 (rank 0) → the solution closest to equal weights, (½, ½) — degenerate', () => {
    const { w, s } = solve(imtlWeights, J.identical);
    close(w, [0.5, 0.5], 1e-9, 'weights'); // before: (1, 0) from a ridge-regularised solve
    assert.deepEqual([s.status, s.rank, s.size], ['degenerate', 0, 1]);
    assert.match(s.reason ?? '', /singular/);
  });

  it('a zero row has no direction: left out with weight 0, the other solved alone — degenerate', () => {
    const { w, s } = solve(imtlWeights, J.zeroRow);
    close(w, [1, 0], 1e-12, 'weights'); // before: (0, 1), the zero direction
    assert.equal(s.status, 'degenerate');
    assert.match(s.reason ?? '', /1 zero gradient row/);
  });

  it('T > d, g = (1, 2, −1): A = [[0, 0], [−2, 4]], b = (0, 2) → x = x₀ + A⁺(b − Ax₀) = (1/5, 3/5) — degenerate, rank 1 of 2', () => {
    // u = (1, 1, −1); x₀ = (⅓, ⅓); b − Ax₀ = (0, 4/3); A⁺ maps it to (−2, 4)·(4/3)/20 = (−2/15, 4/15).
    const { w, s } = solve(imtlWeights, J.tallT);
    close(w, [1 / 5, 1 / 5, 3 / 5], 1e-9, 'weights');
    assert.deepEqual([s.status, s.rank, s.size], ['degenerate', 1, 2]);
    close([s.residual], [0], 1e-9, 'residual (the equations hold)');
  });

  it('every row zero: weights 0 — fallback', () => {
    const { w, s } = solve(imtlWeights, J.allZero);
    assert.deepEqual([w, s.status], [[0, 0], 'fallback']);
  });
});

describe('Aligned-MTL: status of the eigendecomposition of GGᵀ', () => {
  it('orthogonal: Λ = (4, 1), w_t = √(λ_min/λ_t) = (½, 1) — ok, condition σ_max/σ_min = 2', () => {
    const { w, s } = solve(alignedMtlWeights, J.orthogonal);
    close(w, [0.5, 1], 1e-9, 'weights');
    assert.deepEqual([s.status, s.rank, s.size], ['ok', 2, 2]);
    close([s.condition!], [2], 1e-9, 'condition');
    assert.ok(s.residual < 1e-12 && s.iterations >= 0, `Jacobi residual ${s.residual}`);
  });

  it('identical: Λ = (10, 0), v = (1, 1)/√2 → w = v·(1ᵀv) = (1, 1) — degenerate, rank 1', () => {
    const { w, s } = solve(alignedMtlWeights, J.identical);
    close(w, [1, 1], 1e-9, 'weights');
    assert.deepEqual([s.status, s.rank], ['degenerate', 1]);
  });

  it('opposed: v = (1, −1)/√2, 1ᵀv = 0 → w = (0, 0) — degenerate, rank 1', () => {
    const { w, s } = solve(alignedMtlWeights, J.opposed);
    close(w, [0, 0], 1e-9, 'weights');
    assert.deepEqual([s.status, s.rank], ['degenerate', 1]);
  });

  it('zero row: Λ = (5, 0), v = e₁ → w = (1, 0) — degenerate', () => {
    const { w, s } = solve(alignedMtlWeights, J.zeroRow);
    close(w, [1, 0], 1e-9, 'weights');
    assert.equal(s.status, 'degenerate');
  });

  it('T > d, g = (1, 2, −1): GGᵀ = ggᵀ, λ = 6 → w = g(1ᵀg)/6 = (⅓, ⅔, −⅓) — degenerate, rank 1 of 3', () => {
    const { w, s } = solve(alignedMtlWeights, J.tallT);
    close(w, [1 / 3, 2 / 3, -1 / 3], 1e-9, 'weights');
    assert.deepEqual([s.status, s.rank, s.size], ['degenerate', 1, 3]);
  });

  it('every row zero: fallback, weights 0', () => {
    const { w, s } = solve(alignedMtlWeights, J.allZero);
    assert.deepEqual([w, s.status], [[0, 0], 'fallback']);
  });
});

describe('ConFIG: status of the pseudo-inverse of the cosine matrix', () => {
  it('orthogonal: C = I, a = (1, 1), v = (1, 1), length 3/√2 → w = (¾, 3/2) — ok, residual 0', () => {
    const { w, s } = solve(configWeights, J.orthogonal);
    close(w, [0.75, 1.5], 1e-9, 'weights');
    assert.deepEqual([s.status, s.rank], ['ok', 2]);
    close([s.condition!, s.residual], [1, 0], 1e-9, 'condition, residual');
  });

  it('identical: C = 11ᵀ (rank 1), a = (½, ½), v = g/‖g‖, length 2‖g‖ → w = (1, 1) — degenerate, residual 0', () => {
    const { w, s } = solve(configWeights, J.identical);
    close(w, [1, 1], 1e-9, 'weights');
    assert.deepEqual([s.status, s.rank], ['degenerate', 1]);
    close([s.residual], [0], 1e-9, 'residual');
  });

  it('opposed: a = C⁺1 = 0, no direction projects positively on both → zero update — fallback', () => {
    const { w, s } = solve(configWeights, J.opposed);
    close(w, [0, 0], 1e-12, 'weights');
    assert.equal(s.status, 'fallback');
  });

  it('zero row: left out, v = u₁ → w = (1, 0) — degenerate', () => {
    const { w, s } = solve(configWeights, J.zeroRow);
    close(w, [1, 0], 1e-9, 'weights');
    assert.equal(s.status, 'degenerate');
    assert.match(s.reason ?? '', /1 zero gradient row/);
  });

  it('T > d: u = (1, 1, −1), a = u/9, Ca = u/3 → residual |−⅓ − 1| = 4/3, w = (⅔, ⅓, −⅔) — degenerate', () => {
    const { w, s } = solve(configWeights, J.tallT);
    close(w, [2 / 3, 1 / 3, -2 / 3], 1e-9, 'weights');
    assert.deepEqual([s.status, s.rank], ['degenerate', 1]);
    close([s.residual], [4 / 3], 1e-9, 'residual');
  });
});

describe('SDMGrad: iterations and residual of the projected-gradient refinement (λ = 0.3)', () => {
  it('zero row, two iterations from (½, ½): w = (0.175, 0.825), then (0.0125, 0.9875) — max-iterations, residual 0.1625', () => {
    // M = [[5, 0], [0, 0]], η = 1/5, λMg₀ = (0.75, 0): (½, ½) − (3.25, 0)/5 = (−0.15, ½) → Π = (0.175, 0.825);
    // then (0.175 − (0.875 + 0.75)/5, 0.825) = (−0.15, 0.825) → Π = (0.0125, 0.9875).
    const s = fresh();
    const r = sdmgradStep(gram(J.zeroRow), [0.5, 0.5], 0.3, 2, s);
    close(r.w, [0.0125, 0.9875], 1e-12, 'w');
    assert.deepEqual([s.status, s.iterations], ['max-iterations', 2]);
    close([s.residual], [0.1625], 1e-12, 'residual');
    // Continued: (0, 1) is the fixed point (Π(−0.15, 1) = (0, 1)); the loop stops there.
    const t = fresh();
    const done = sdmgradStep(gram(J.zeroRow), [0.5, 0.5], 0.3, 100, t);
    close(done.w, [0, 1], 1e-12, 'w at the fixed point');
    close(done.coef, [0.15 / 1.3, 1.15 / 1.3], 1e-12, 'coef = (w + λ/T)/(1 + λ)');
    assert.equal(t.status, 'converged');
    assert.ok(t.iterations >= 4 && t.iterations <= 5, `iterations ${t.iterations}`);
  });

  it('identical and opposed rows: (½, ½) is already the fixed point — converged after one iteration, residual 0', () => {
    for (const G of [J.identical, J.opposed]) {
      const s = fresh();
      close(sdmgradStep(gram(G), [0.5, 0.5], 0.3, 20, s).w, [0.5, 0.5], 1e-12, 'w');
      assert.deepEqual([s.status, s.iterations, s.residual], ['converged', 1, 0]);
    }
  });

  it('every row zero: weights kept — fallback', () => {
    const s = fresh();
    close(sdmgradStep(gram(J.allZero), [0.3, 0.7], 0.3, 20, s).w, [0.3, 0.7], 0, 'w');
    assert.equal(s.status, 'fallback');
  });
});

describe('MoDo and MoCo: the status of their single weight step', () => {
  before(() => useBackend('cpu'));

  it('MoDo, zero row: λ − γ(Mλ + ρλ) = (0.49745, 0.49995) → Π = (0.49875, 0.50125); residual 0.00125/γ = 1.25 — ok', () => {
    const s = fresh();
    close(modoWeights(gram(J.zeroRow), [0.5, 0.5], 1e-3, 0.1, s), [0.49875, 0.50125], 1e-12, 'λ');
    assert.deepEqual([s.status, s.iterations], ['ok', 1]);
    close([s.residual], [1.25], 1e-9, 'residual');
  });

  it('MoDo, identical rows: (½, ½) is stationary, residual 0; every row zero: degenerate', () => {
    const s = fresh();
    modoWeights(gram(J.identical), [0.5, 0.5], 1e-3, 0.1, s);
    close([s.residual], [0], 1e-12, 'residual');
    const z = fresh();
    modoWeights(gram(J.allZero), [0.5, 0.5], 1e-3, 0.1, z);
    assert.equal(z.status, 'degenerate');
  });

  it('MoCo, zero row, k = 1: Y = β·(g₁/‖g₁‖, 0) = (½, 0; 0, 0), λ − γYYᵀλ = (0.4875, 0.5) → (0.49375, 0.50625); residual 0.0625 — ok', () => {
    const o = { beta: 0.5, betaSigma: 0.5, gamma: 0.1, gammaSigma: 0.5, rho: 0 };
    const G = tf.tensor2d([[2, 0], [0, 0]]);
    const r = mocoStep(G, [1, 1], null, [0.5, 0.5], 1, o);
    tf.dispose([G, r.Y, r.direction]);
    close(r.lambda, [0.49375, 0.50625], 1e-6, 'λ');
    assert.deepEqual([r.solver.status, r.solver.iterations], ['ok', 1]);
    close([r.solver.residual], [0.0625], 1e-5, 'residual');
  });
});

describe('every solving method puts its status on the update', () => {
  before(() => useBackend('cpu'));

  for (const [method, want] of [['imtl', 'degenerate'], ['aligned-mtl', 'degenerate'], ['config', 'degenerate'], ['sdmgrad', 'converged'], ['modo', 'ok'], ['moco', 'ok']] as const) {
    it(`${method}: identical rows → status ${want}`, () => {
      const s = strategies.get(method).create({}, { taskNames: ['a', 'b'], taskWeights: [1, 1], seed: 0 }) as GradientStrategy;
      let solver: SolverStatus | undefined;
      tf.tidy(() => {
        solver = s.combine({ taskNames: ['a', 'b'], present: [0, 1], losses: [tf.scalar(1), tf.scalar(1)], step: 0, epoch: 1, epochLosses: [], grads: tf.tensor2d(J.identical) }).solver;
      });
      assert.equal(solver?.status, want, JSON.stringify(solver));
      s.dispose();
    });
  }
});
