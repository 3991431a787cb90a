// Owns the shared arithmetic of the gradient-combining methods: the d-sized work on the T×d task
// gradient matrix (Gram matrix, weighted row sums) done with tensors, and the small T×T problems
// (simplex projection, min-norm point, dual-cone projection, symmetric eigendecomposition, the
// Nash/FairGrad balance equation) done in plain numbers — T is a handful, d can be millions.
import * as tf from '@tensorflow/tfjs';

export type Mat = number[][];

/** G·Gᵀ as plain numbers (T×T): every pairwise inner product of task gradients. */
export function gramOf(G: tf.Tensor2D): Mat {
  return tf.tidy(() => tf.matMul(G, G, false, true).arraySync() as Mat);
}

/** wᵀG: the weighted sum of the rows, as a d-vector tensor. */
export function combineRows(G: tf.Tensor2D, w: readonly number[]): tf.Tensor1D {
  return tf.tidy(() => tf.matMul(tf.tensor2d([w as number[]]), G).reshape([-1]) as tf.Tensor1D);
}

/** diag(s)·G: each row scaled by its factor, as a T×T matmul (broadcast multiplies are much slower on cpu). */
export function scaleRows(G: tf.Tensor2D, s: readonly number[]): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.diag(tf.tensor1d(s as number[])), G) as tf.Tensor2D);
}

/** Row norms from the Gram diagonal. */
export const rowNorms = (M: Mat): number[] => M.map((r, i) => Math.sqrt(Math.max(r[i], 0)));

export const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i], 0);
export const matVec = (M: Mat, v: readonly number[]): number[] => M.map((r) => dot(r, v));
/** vᵀMv: the squared norm of vᵀG when M is its Gram matrix. */
export const quad = (M: Mat, v: readonly number[]): number => dot(v, matVec(M, v));
export const eye = (n: number): Mat => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const fin = (x: number, fallback = 0) => (Number.isFinite(x) ? x : fallback);

/** Euclidean projection onto the probability simplex (Duchi et al. 2008, sort-based). */
export function projectSimplex(v: readonly number[]): number[] {
  const u = [...v].sort((a, b) => b - a);
  let css = 0;
  let theta = 0;
  for (let i = 0; i < u.length; i++) {
    css += u[i];
    const t = (css - 1) / (i + 1);
    if (u[i] - t > 0) theta = t;
  }
  return v.map((x) => Math.max(x - theta, 0));
}

/**
 * γ minimising ‖(1-γ)u + γv‖² on [0, 1] given uu = ‖u‖², uv = u·v, vv = ‖v‖² (Sener & Koltun 2018, Alg. 1).
 * Equal points (zero denominator): any γ is optimal; 0.5 keeps the pair symmetric.
 */
export function lineMinNorm(uu: number, uv: number, vv: number): number {
  const den = uu - 2 * uv + vv;
  if (!(den > 1e-20 * Math.max(uu, vv, 1e-30))) return 0.5;
  return Math.min(1, Math.max(0, (uu - uv) / den));
}

/**
 * The min-norm point of the convex hull of the rows: argmin_{α∈Δ} αᵀMα.
 * T=2 in closed form; otherwise Frank-Wolfe on the Gram matrix with exact line search (Sener & Koltun
 * 2018, Alg. 2), with away steps (Lacoste-Julien & Jaggi 2015) so that it converges linearly when the
 * optimum lies on a face of the simplex instead of zig-zagging towards it.
 */
/**
 * What a solver reports about one solve (recorded per diagnosed step): converged within its tolerance,
 * stopped at its iteration limit, or fell back to a documented rule (no acceptable solution).
 */
export interface SolverStatus {
  /**
   * converged / max-iterations: an iterative solver met its tolerance or stopped at its limit; ok: a
   * closed form or the method's single update step, computed as defined; degenerate: the problem was
   * singular (rank-deficient, a zero row) and the method's documented rule for that case gave the
   * weights; fallback: the method's answer was replaced by a documented other rule.
   */
  status: 'converged' | 'max-iterations' | 'ok' | 'degenerate' | 'fallback';
  iterations: number;
  /** The final residual of what was solved (defined with each solver). */
  residual: number;
  /** Closed forms: the condition number of the matrix inverted or decomposed, over the directions kept. */
  condition?: number;
  /** Closed forms: how many directions (eigenvalues above the tolerance) were kept, of `size`. */
  rank?: number;
  size?: number;
  reason?: string;
}

/** Fills `out` (when given) with a solver's outcome. */
export function report(out: SolverStatus | undefined, s: SolverStatus): void {
  if (out) Object.assign(out, s);
}

/** Rank and condition λmax/λmin over the eigenvalues above `rel`·λmax (a PSD matrix's spectrum). */
export function spectrum(values: readonly number[], rel: number): { rank: number; condition: number; size: number } {
  const top = Math.max(0, ...values);
  const kept = values.filter((l) => l > 0 && l > rel * top);
  return { rank: kept.length, condition: kept.length ? top / Math.min(...kept) : 0, size: values.length };
}

/** Residual: the Frank–Wolfe plus away-step duality gap, relative to the largest diagonal entry. */
export function minNormSimplex(M: Mat, maxIter = 2000, tol = 1e-14, out?: SolverStatus): number[] {
  const T = M.length;
  if (T === 1) {
    report(out, { status: 'converged', iterations: 0, residual: 0 });
    return [1];
  }
  if (T === 2) {
    const g = lineMinNorm(M[1][1], M[0][1], M[0][0]); // weight moving from row 1 towards row 0
    report(out, { status: 'converged', iterations: 0, residual: 0 });
    return [g, 1 - g];
  }
  const scale = Math.max(1e-300, ...M.map((r, i) => Math.abs(r[i])));
  const a = new Array<number>(T).fill(1 / T);
  let it = 0;
  let gap = Infinity;
  for (; it < maxIter; it++) {
    const Ma = matVec(M, a);
    const aMa = dot(a, Ma);
    let t = 0;
    for (let i = 1; i < T; i++) if (Ma[i] < Ma[t]) t = i;
    let s = -1;
    for (let i = 0; i < T; i++) if (a[i] > 0 && (s < 0 || Ma[i] > Ma[s])) s = i;
    const gapFW = aMa - Ma[t];
    const gapAway = Ma[s] - aMa;
    gap = (gapFW + gapAway) / scale;
    if (gapFW + gapAway <= tol * scale) break;
    const away = gapAway > gapFW && a[s] < 1;
    const d = a.map((x, i) => (away ? x - (i === s ? 1 : 0) : (i === t ? 1 : 0) - x));
    const gmax = away ? a[s] / (1 - a[s]) : 1;
    const dMd = quad(M, d);
    const dMa = dot(d, Ma);
    const g = dMd > 0 ? Math.min(gmax, Math.max(0, -dMa / dMd)) : dMa < 0 ? gmax : 0;
    if (!(g > 0)) break;
    for (let i = 0; i < T; i++) a[i] = Math.max(0, a[i] + g * d[i]);
    if (away && g === gmax) a[s] = 0;
  }
  report(out, { status: gap <= tol || it < maxIter ? 'converged' : 'max-iterations', iterations: it, residual: Number.isFinite(gap) ? gap : 0 });
  const sum = a.reduce((x, y) => x + y, 0);
  return a.map((x) => x / sum);
}

/**
 * min_{v ≥ u} vᵀMv by cyclic coordinate descent (exact per coordinate). This is the dual of projecting
 * uᵀG onto the dual cone {x : Gx ≥ 0} (Quinton & Rey 2024, Prop. 1): the projection is vᵀG, and the
 * optimality conditions give M v ≥ 0, i.e. a non-negative inner product with every row.
 */
export function projectWeightsDualCone(M: Mat, u: readonly number[], sweeps = 2000, tol = 1e-13, out?: SolverStatus): number[] {
  const T = M.length;
  const scale = Math.max(...M.map((r, i) => r[i]), 1e-30);
  const v = [...u];
  let change = Infinity;
  let s = 0;
  for (; s < sweeps; s++) {
    change = 0;
    for (let k = 0; k < T; k++) {
      if (M[k][k] <= 1e-14 * scale) continue; // a zero row constrains nothing
      const next = Math.max(u[k], v[k] - dot(M[k], v) / M[k][k]);
      change = Math.max(change, Math.abs(next - v[k]));
      v[k] = next;
    }
    if (change < tol) break;
  }
  // Residual: the largest coordinate change of the last sweep.
  report(out, { status: change < tol ? 'converged' : 'max-iterations', iterations: Math.min(s + 1, sweeps), residual: change });
  return v.map((x) => fin(x));
}

/** Solves Ax = b by Gaussian elimination with partial pivoting; a tiny ridge keeps singular systems finite. */
export function solveLinear(A: Mat, b: readonly number[], ridge = 1e-10): number[] {
  const n = b.length;
  const scale = Math.max(1e-30, ...A.map((r, i) => Math.abs(r[i])));
  const m = A.map((r, i) => [...r.map((x, j) => x + (i === j ? ridge * scale : 0)), b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    if (Math.abs(m[c][c]) < 1e-300) continue;
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = Math.abs(m[r][r]) < 1e-300 ? 0 : s / m[r][r];
  }
  return x.map((v) => fin(v));
}

/**
 * Symmetric eigendecomposition by cyclic Jacobi rotations: M = V·diag(values)·Vᵀ, columns of V are
 * eigenvectors. `sweeps` done and `offDiagonal`, the remaining off-diagonal norm relative to the largest
 * diagonal entry (the solver's residual), say how well it converged.
 */
export function symEig(M: Mat): { values: number[]; vectors: Mat; sweeps: number; offDiagonal: number } {
  const n = M.length;
  const a = M.map((r) => [...r]);
  const V = eye(n);
  const offOf = () => {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
    return off;
  };
  let sweep = 0;
  for (; sweep < 100; sweep++) {
    const off = offOf();
    if (off < 1e-30 * Math.max(1e-300, ...a.map((r, i) => r[i] * r[i]))) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k][p];
          const vkq = V[k][q];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const scale = Math.max(1e-300, ...a.map((r, i) => Math.abs(r[i])));
  return { values: a.map((r, i) => r[i]), vectors: V, sweeps: sweep, offDiagonal: Math.sqrt(offOf()) / scale };
}

/**
 * Moore–Penrose pseudo-inverse of a symmetric PSD matrix, dropping eigenvalues below a relative
 * tolerance; `info` (when given) receives the rank kept and the condition over the kept eigenvalues.
 */
export function pinvSym(M: Mat, rel = 1e-10, info?: { rank: number; condition: number; size: number }): Mat {
  const { values, vectors } = symEig(M);
  const n = M.length;
  const tol = Math.max(0, ...values) * rel;
  const P: Mat = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  values.forEach((l, k) => {
    if (l <= tol || l <= 0) return;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) P[i][j] += (vectors[i][k] * vectors[j][k]) / l;
  });
  if (info) Object.assign(info, spectrum(values, rel));
  return P;
}

/**
 * Solves M w = w^(-p) elementwise for w > 0: Nash-MTL's GGᵀα = 1/α (p = 1; Navon et al. 2022) and
 * FairGrad's GGᵀw = w^(-1/α) (p = 1/α; Ban & Ji 2024). Both are the stationarity condition of the
 * convex F(w) = ½wᵀMw − Σ φ(w_i) with φ' = w^(-p), minimised here by damped Newton steps from `start`
 * (the previous step's solution: a warm start) until the residual max_i |w_i^p (Mw)_i − 1| (scale-free)
 * is below `tol`, or `iters` iterations. M is first scaled to unit Frobenius norm (as Navon et al.'s
 * code does) and the solution scaled back: with M = n·M', w = n^(-1/(1+p))·w'. A zero row's weight is
 * 0 (it multiplies a zero gradient); a tiny ridge keeps the Newton system finite.
 *
 * When the equation has no positive solution (opposed gradients: Mw = w^(-p) cannot hold for every row
 * once some combination of the rows is 0), F has no minimiser and the iterates run off to ever larger
 * weights; the residual on M without the ridge then stays large. The documented fallback is
 * w_i = (M_ii)^(-1/(1+p)) — the solution when the gradients are orthogonal, each task's gradient scaled
 * to the same footing — reported as status 'fallback'.
 */
export function solveBalance(M: Mat, p: number, iters = 20, start?: readonly number[], out?: SolverStatus, tol = 1e-6): number[] {
  const T = M.length;
  const n = Math.sqrt(M.reduce((s, r) => s + dot(r, r), 0));
  if (!(n > 0) || !Number.isFinite(n)) {
    report(out, { status: 'fallback', iterations: 0, residual: 0, reason: 'every gradient row is zero' });
    return new Array<number>(T).fill(0);
  }
  const diagMax = Math.max(...M.map((r, i) => r[i])) / n;
  const live = M.map((r, i) => r[i] / n > 1e-12 * diagMax);
  const B = M.map((r, i) => r.map((x, j) => (live[i] && live[j] ? x / n : 0)));
  const A = B.map((r, i) => r.map((x, j) => x + (i === j && live[i] ? 1e-9 : 0)));
  const phi = (x: number) => (p === 1 ? Math.log(x) : x ** (1 - p) / (1 - p));
  const F = (w: number[]) => 0.5 * quad(A, w) - w.reduce((s, x, i) => s + (live[i] ? phi(x) : 0), 0);
  const residual = (w: number[]) => {
    const Bw = matVec(B, w);
    return Math.max(0, ...w.map((x, i) => (live[i] ? Math.abs(x ** p * Bw[i] - 1) : 0)));
  };
  const warm = start && start.length === T && start.every((x, i) => !live[i] || (x > 0 && Number.isFinite(x)));
  let w = warm ? start.map((x, i) => (live[i] ? x * n ** (1 / (1 + p)) : 1)) : A.map((r, i) => (live[i] ? 1 / Math.sqrt(T * r[i]) : 1));
  let it = 0;
  let res = residual(w);
  for (; it < Math.max(iters, 1) && res > tol; it++) {
    const idx = w.map((_, i) => i).filter((i) => live[i]);
    if (!idx.length) break;
    w = newtonStep(A, F, w, idx, p);
    res = residual(w);
  }
  const back = n ** (-1 / (1 + p));
  if (res > 1e-2 || !w.every(Number.isFinite)) {
    report(out, { status: 'fallback', iterations: it, residual: res, reason: 'no positive solution (opposed gradients): w_i = M_ii^(-1/(1+p))' });
    return M.map((r, i) => (live[i] ? r[i] ** (-1 / (1 + p)) : 0));
  }
  report(out, { status: res <= tol ? 'converged' : 'max-iterations', iterations: it, residual: res });
  return w.map((x, i) => (live[i] ? fin(x * back) : 0));
}

/** One damped Newton step on F over the live coordinates `idx` (Armijo backtracking, staying positive). */
function newtonStep(A: Mat, F: (w: number[]) => number, w: number[], idx: number[], p: number): number[] {
  const Aw = matVec(A, w);
  const grad = idx.map((i) => Aw[i] - w[i] ** -p);
  const H = idx.map((i, a) => idx.map((j, b) => A[i][j] + (a === b ? p * w[i] ** (-p - 1) : 0)));
  const step = solveLinear(H, grad, 0);
  let t = 1;
  const f0 = F(w);
  const decrease = dot(grad, step);
  for (let k = 0; k < 60; k++) {
    const next = [...w];
    idx.forEach((i, a) => (next[i] = w[i] - t * step[a]));
    if (idx.every((i) => next[i] > 0) && F(next) <= f0 - 1e-4 * t * decrease) return next;
    t /= 2;
  }
  return w;
}

/** The numbers of a list of scalars (the step's per-task losses). */
export function lossValues(losses: readonly tf.Scalar[]): number[] {
  return losses.map((l) => l.dataSync()[0]);
}
