// The small-matrix solvers behind the gradient methods, against hand-computed cases: min-norm point
// of two gradients at a known angle, simplex projection, eigendecomposition, the balance equation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dot, lineMinNorm, matVec, minNormSimplex, pinvSym, projectSimplex, projectWeightsDualCone, quad, solveBalance, solveLinear, symEig, type Mat } from '../../../src/weighting/gradmath';
import { mulberry32 } from '../../../src/util/random';

const gram = (rows: number[][]): Mat => rows.map((a) => rows.map((b) => dot(a, b)));
const close = (a: number, b: number, tol = 1e-6, msg = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} ${a} vs ${b}`);
const randMatrix = (rand: () => number, T: number, d: number) => Array.from({ length: T }, () => Array.from({ length: d }, () => rand() * 2 - 1));

describe('gradmath', () => {
  it('min-norm point of two gradients at a known angle (closed form)', () => {
    // Two unit vectors at angle θ: the min-norm point is the midpoint, of norm cos(θ/2) (for θ ≥ 90°);
    // below 90° it is still the midpoint since the norms are equal.
    for (const deg of [60, 90, 120, 150, 179]) {
      const th = (deg * Math.PI) / 180;
      const rows = [[1, 0], [Math.cos(th), Math.sin(th)]];
      const a = minNormSimplex(gram(rows));
      close(a[0], 0.5, 1e-9, `${deg}°`);
      close(Math.sqrt(quad(gram(rows), a)), Math.cos(th / 2), 1e-9, `${deg}°`);
    }
    // Unequal norms, orthogonal: ‖γ(2,0) + (1−γ)(0,1)‖² = 4γ² + (1−γ)² is smallest at γ = 0.2.
    assert.deepEqual(minNormSimplex(gram([[2, 0], [0, 1]])).map((x) => +x.toFixed(12)), [0.2, 0.8]);
    // g1 lies "inside": g1·g2 ≥ ‖g1‖², so the min-norm point is g1 itself.
    assert.deepEqual(minNormSimplex(gram([[1, 0], [3, 1]])), [1, 0]);
  });

  it('Frank-Wolfe reaches the min-norm point for T > 2 (checked against a fine simplex grid)', () => {
    const rand = mulberry32(5);
    for (let trial = 0; trial < 4; trial++) {
      const M = gram(randMatrix(rand, 3, 4));
      const a = minNormSimplex(M);
      assert.ok(a.every((x) => x >= -1e-12));
      close(a.reduce((s, x) => s + x, 0), 1, 1e-9);
      let best = Infinity;
      for (let i = 0; i <= 200; i++) for (let j = 0; i + j <= 200; j++) best = Math.min(best, quad(M, [i / 200, j / 200, (200 - i - j) / 200]));
      assert.ok(quad(M, a) <= best + 1e-6, `FW ${quad(M, a)} vs grid ${best}`);
    }
  });

  it('lineMinNorm handles coincident points without NaN', () => {
    assert.equal(lineMinNorm(4, 4, 4), 0.5);
    assert.equal(lineMinNorm(0, 0, 0), 0.5);
  });

  it('projectSimplex: table of hand-computed projections', () => {
    const cases: [number[], number[]][] = [
      [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]],
      [[1, 1], [0.5, 0.5]],
      [[2, 0], [1, 0]],
      [[0.5, 0.5, -1], [0.5, 0.5, 0]],
      [[3, 1, 0], [1, 0, 0]],
    ];
    for (const [v, want] of cases) assert.deepEqual(projectSimplex(v).map((x) => +x.toFixed(12)), want, JSON.stringify(v));
  });

  it('symEig reconstructs the matrix and pinvSym inverts on the range', () => {
    const M = gram(randMatrix(mulberry32(2), 4, 6));
    const { values, vectors } = symEig(M);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) close(values.reduce((s, l, k) => s + l * vectors[i][k] * vectors[j][k], 0), M[i][j], 1e-9);
    const P = pinvSym(M);
    const I = M.map((_, i) => matVec(M, P.map((r) => r[i])));
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) close(I[j][i], i === j ? 1 : 0, 1e-6);
  });

  it('solveLinear solves a non-symmetric system', () => {
    const x = solveLinear([[2, 1], [1, 3]], [3, 5]);
    close(x[0], 0.8, 1e-8);
    close(x[1], 1.4, 1e-8);
  });

  it('solveBalance satisfies M w = w^(-p) (Nash p=1, FairGrad p=1/α)', () => {
    const rand = mulberry32(9);
    for (const p of [1, 0.5, 2]) {
      const M = gram(randMatrix(rand, 3, 5));
      const w = solveBalance(M, p, 50);
      const Mw = matVec(M, w);
      w.forEach((x, i) => {
        assert.ok(x > 0);
        close(Mw[i], x ** -p, 1e-5, `p=${p} task ${i}`);
      });
    }
  });

  it('projectWeightsDualCone: the projection has a non-negative inner product with every row', () => {
    const rand = mulberry32(4);
    for (let trial = 0; trial < 5; trial++) {
      const M = gram(randMatrix(rand, 4, 3)); // 4 rows in 3-d: conflicts are certain
      const v = projectWeightsDualCone(M, [0.25, 0, 0, 0]);
      assert.ok(v.every((x, i) => x >= (i === 0 ? 0.25 : 0) - 1e-12));
      const scale = Math.max(...M.map((r, i) => r[i]));
      matVec(M, v).forEach((x) => assert.ok(x >= -1e-9 * scale, `inner product ${x}`));
    }
  });
});
