// Owns the fused linear-chain CRF negative log-likelihood: one custom op (tf.customGrad) whose forward
// pass is the forward algorithm and whose gradient is one backward sweep (forward–backward marginals),
// Sutton & McCallum, "An Introduction to Conditional Random Fields" (2012), §4.1 (eqs 4.6–4.14);
// doi:10.1561/2200000013.
//
// Why fused: recorded op by op, the recursion put ~10 small ops per time step on the gradient tape,
// each with a (batch, K, K) intermediate kept for the backward pass (memory batch·steps·K²), and ran
// over every padded step. Here the whole recursion runs in plain float64 loops over the real tokens of
// each sequence only, keeps α (batch·steps·K numbers: linear in steps) and writes the gradient from
// the marginals directly.
//
// Cost model, per real token of a sequence: the log-sum-exp over the previous tag, logsumexp_i(α(i) +
// A(i, j)) for all j, is computed in shifted exponential space as one K×K vector–matrix product:
// α'(j) = m + c_j + log Σ_i exp(α(i) − m)·exp(A(i, j) − c_j), m = max α, c_j = max_i A(i, j), so each
// exp(A − c) entry is ≤ 1 and one per column is 1 (no overflow). Should a sum still underflow (the
// paths into j are all > ~700 nats below the best path; ~69 in the SIMD kernels' float32), that entry
// falls back to the exact log-sum-exp. Forward: K² multiply-adds per token; backward: 2·K² (β and the pair marginals for the
// transition gradient). So a batch costs ≈ 3·K²·(Σ lengths) multiply-adds, plus O(K) exp/log per token.
// On wasm the same loops run as SIMD kernels (crf-simd.ts, src/backend/simd/crf.c): the K² products
// and the exp/log in float32, 4 tags per instruction, the log-space state in float64; the transition
// gradient's outer products of all steps are one blocked product at the end. Memory there: the float64
// α (b·T·K), 2·K² floats and two vectors of K floats per step (still linear in steps). The JS loops
// below serve every other backend.
import * as tf from '@tensorflow/tfjs';
import { expFast } from '../util/fast-exp';
import { simdHeap } from '../backend/wasm-simd';
import { crfNllWasm, valuesOf } from './crf-simd';

/** The inputs of one batch as flat arrays (row-major): E [b, T, K], A [K, K], tags/mask [b, T]. */
interface Problem {
  b: number;
  T: number;
  K: number;
  E: Float32Array;
  A: Float32Array;
  start: Float32Array;
  end: Float32Array;
  tags: Int32Array;
  mask: Float32Array;
}

/**
 * exp(A − max) row-major, the max taken per column (for α: sums over the previous tag i) or per row
 * (for β: sums over the next tag j), and those maxima: every entry ≤ 1, one per column/row equal to 1.
 */
function shifted(A: Float32Array, K: number, per: 'column' | 'row'): { X: Float64Array; max: Float64Array } {
  const max = new Float64Array(K).fill(-Infinity);
  const at = per === 'column' ? (i: number, j: number) => j : (i: number) => i;
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) max[at(i, j)] = Math.max(max[at(i, j)], A[i * K + j]);
  const X = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) X[i * K + j] = expFast(A[i * K + j] - max[at(i, j)]);
  return { X, max };
}

const TINY = 1e-280;

function maxOf(x: Float64Array, from: number, K: number): number {
  let m = -Infinity;
  for (let i = 0; i < K; i++) if (x[from + i] > m) m = x[from + i];
  return m;
}

/** The steps of row s that are real tokens (mask ≠ 0), in order. */
function activeSteps(p: Problem, s: number, into: Int32Array): number {
  let n = 0;
  for (let t = 0; t < p.T; t++) if (p.mask[s * p.T + t] !== 0) into[n++] = t;
  return n;
}

/** Score of the gold path over the real tokens of row s (tags of real tokens are ≥ 0). */
function goldScore(p: Problem, s: number, steps: Int32Array, n: number): number {
  const { K, T, E, A, tags } = p;
  let prev = tags[s * T + steps[0]];
  let score = p.start[prev];
  for (let k = 0; k < n; k++) {
    const y = tags[s * T + steps[k]];
    score += E[(s * T + steps[k]) * K + y];
    if (k > 0) score += A[prev * K + y];
    prev = y;
  }
  return score + p.end[prev];
}

/**
 * Forward algorithm: fills alpha [b, T, K] (log α at real steps) and returns NLL per row [b] =
 * log Z − score(gold). Rows without real tokens get 0.
 */
function forwardPass(p: Problem, alpha: Float64Array, logZ: Float64Array): Float64Array {
  const { b, T, K, E, A } = p;
  const { X: P, max: c } = shifted(A, K, 'column');
  const nll = new Float64Array(b);
  const steps = new Int32Array(T);
  const e = new Float64Array(K);
  const q = new Float64Array(K);
  for (let s = 0; s < b; s++) {
    const n = activeSteps(p, s, steps);
    if (n === 0) continue;
    let at = (s * T + steps[0]) * K;
    for (let j = 0; j < K; j++) alpha[at + j] = E[at + j] + p.start[j];
    for (let k = 1; k < n; k++) {
      const prev = at;
      at = (s * T + steps[k]) * K;
      const m = maxOf(alpha, prev, K);
      for (let i = 0; i < K; i++) e[i] = expFast(alpha[prev + i] - m);
      q.fill(0);
      for (let i = 0; i < K; i++) {
        const ei = e[i];
        if (ei === 0) continue;
        const row = i * K;
        for (let j = 0; j < K; j++) q[j] += ei * P[row + j];
      }
      for (let j = 0; j < K; j++) {
        const lse = q[j] > TINY ? m + c[j] + Math.log(q[j]) : exactLse(alpha, prev, A, j, K, K);
        alpha[at + j] = E[at + j] + lse;
      }
    }
    let z = -Infinity;
    for (let j = 0; j < K; j++) z = Math.max(z, alpha[at + j] + p.end[j]);
    let sum = 0;
    for (let j = 0; j < K; j++) sum += expFast(alpha[at + j] + p.end[j] - z);
    logZ[s] = z + Math.log(sum);
    nll[s] = logZ[s] - goldScore(p, s, steps, n);
  }
  return nll;
}

/** log Σ_i exp(x[from + i] + A[base + i·stride]) without shifting tricks (the underflow fallback). */
function exactLse(x: Float64Array, from: number, A: Float32Array, base: number, K: number, stride: number): number {
  let m = -Infinity;
  for (let i = 0; i < K; i++) m = Math.max(m, x[from + i] + A[base + i * stride]);
  let sum = 0;
  for (let i = 0; i < K; i++) sum += expFast(x[from + i] + A[base + i * stride] - m);
  return m + Math.log(sum);
}

interface Grads {
  dE: Float32Array;
  dA: Float32Array;
  dStart: Float32Array;
  dEnd: Float32Array;
}

/** The gold path's counts, times −g: the score(y) part of the gradient of log Z − score(y). */
function subtractGold(p: Problem, s: number, steps: Int32Array, n: number, g: number, out: Grads): void {
  const { K, T, tags } = p;
  let prev = tags[s * T + steps[0]];
  out.dStart[prev] -= g;
  for (let k = 0; k < n; k++) {
    const y = tags[s * T + steps[k]];
    out.dE[(s * T + steps[k]) * K + y] -= g;
    if (k > 0) out.dA[prev * K + y] -= g;
    prev = y;
  }
  out.dEnd[prev] -= g;
}

/**
 * One backward sweep per row: β from the last real token back (β_last = end), the token marginals
 * γ_t(j) = exp(α_t(j) + β_t(j) − log Z) (∂log Z/∂E_t(j), ∂/∂start at t = 0, ∂/∂end at the last
 * token) and the pair marginals ξ_t(i, j) = exp(α_{t−1}(i) + A(i, j) + E_t(j) + β_t(j) − log Z)
 * summed into ∂log Z/∂A; minus the gold path's counts; all times the upstream gradient dy.
 */
function backwardPass(p: Problem, alpha: Float64Array, logZ: Float64Array, dy: ArrayLike<number>): Grads {
  const { b, T, K, E, A } = p;
  const { X: R, max: d } = shifted(A, K, 'row');
  let aMax = -Infinity;
  for (let i = 0; i < K * K; i++) aMax = Math.max(aMax, A[i]);
  const out: Grads = { dE: new Float32Array(b * T * K), dA: new Float32Array(K * K), dStart: new Float32Array(K), dEnd: new Float32Array(K) };
  const M = new Float64Array(K * K); // Σ κ·u ⊗ w; ∂log Z/∂A = exp(A − aMax) ⊙ M
  const steps = new Int32Array(T);
  const beta = new Float64Array(K);
  const v = new Float64Array(K);
  const w = new Float64Array(K);
  for (let s = 0; s < b; s++) {
    const n = activeSteps(p, s, steps);
    const g = dy[s];
    if (n === 0 || g === 0) continue;
    const z = logZ[s];
    let at = (s * T + steps[n - 1]) * K;
    for (let j = 0; j < K; j++) {
      beta[j] = p.end[j];
      const gamma = g * expFast(alpha[at + j] + beta[j] - z);
      out.dE[at + j] += gamma;
      out.dEnd[j] += gamma;
    }
    for (let k = n - 1; k > 0; k--) {
      const next = at;
      at = (s * T + steps[k - 1]) * K;
      for (let j = 0; j < K; j++) v[j] = E[next + j] + beta[j];
      const mv = maxOf(v, 0, K);
      for (let j = 0; j < K; j++) w[j] = expFast(v[j] - mv);
      const ma = maxOf(alpha, at, K);
      const kappa = g * expFast(ma + mv + aMax - z);
      // ξ(i, j) ≤ |κ·u_i|: rows below 1e-13·|g| change no float32 gradient.
      const skip = 1e-13 * Math.abs(g);
      for (let i = 0; i < K; i++) {
        const ui = kappa * expFast(alpha[at + i] - ma);
        if (Math.abs(ui) < skip) continue;
        const row = i * K;
        for (let j = 0; j < K; j++) M[row + j] += ui * w[j];
      }
      for (let i = 0; i < K; i++) {
        const row = i * K;
        let acc = 0;
        for (let j = 0; j < K; j++) acc += R[row + j] * w[j];
        beta[i] = acc > TINY ? mv + d[i] + Math.log(acc) : exactLse(v, 0, A, row, K, 1);
        const gamma = g * expFast(alpha[at + i] + beta[i] - z);
        out.dE[at + i] += gamma;
        if (k === 1) out.dStart[i] += gamma;
      }
    }
    if (n === 1) for (let j = 0; j < K; j++) out.dStart[j] += out.dE[at + j];
    subtractGold(p, s, steps, n, g, out);
  }
  for (let i = 0; i < K * K; i++) out.dA[i] += expFast(A[i] - aMax) * M[i];
  return out;
}

function problemOf(e: tf.Tensor, a: tf.Tensor, st: tf.Tensor, en: tf.Tensor, y: tf.Tensor, m: tf.Tensor): Problem {
  const [b, T, K] = e.shape;
  const f32 = (x: tf.Tensor) => (x.dtype === 'float32' ? (x.dataSync() as Float32Array) : Float32Array.from(x.dataSync()));
  const tags = y.dtype === 'int32' ? (y.dataSync() as Int32Array) : Int32Array.from(y.dataSync());
  return { b, T, K, E: f32(e), A: f32(a), start: f32(st), end: f32(en), tags, mask: f32(m) };
}

/**
 * −log p(y | x) per sequence [b] of a linear-chain CRF, as one op with its own gradient (for the
 * emissions, transitions, start and end scores). Real tokens are where mask ≠ 0 (callers pass
 * tokenMask: padding and negative tags are 0); the chain runs over a row's real tokens only and a
 * row with none has NLL 0. Tags of real tokens must lie in [0, K). On wasm the loops run as SIMD
 * kernels (crf-simd.ts); `simd = false` keeps the JS loops there too (for tests and comparisons).
 */
export function crfNllFused(emissions: tf.Tensor, tags: tf.Tensor, mask: tf.Tensor, transitions: tf.Tensor, start: tf.Tensor, end: tf.Tensor, simd = true): tf.Tensor1D {
  const op = tf.customGrad((...args: unknown[]) => {
    const [e, a, st, en, y, m, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const w = simd && e.size > 0 && [e, a, st, en].every((x) => x.dtype === 'float32') ? simdHeap(e, a, st, en, y, m) : null;
    if (w) return crfNllWasm(w, e, a, st, en, y, m, save);
    const p = problemOf(e, a, st, en, y, m);
    const alpha = new Float64Array(p.b * p.T * p.K);
    const logZ = new Float64Array(p.b);
    const nll = forwardPass(p, alpha, logZ);
    return {
      value: tf.tensor1d(Float32Array.from(nll)),
      // Tags and mask get zeros by shape: they are not saved, so by the backward pass they may be
      // disposed (zerosLike reads its input on tfjs-node, where a disposed one throws).
      gradFunc: (dy: tf.Tensor) => {
        const r = backwardPass(p, alpha, logZ, dy.dataSync());
        return [tf.tensor3d(r.dE, [p.b, p.T, p.K]), tf.tensor2d(r.dA, [p.K, p.K]), tf.tensor1d(r.dStart), tf.tensor1d(r.dEnd), tf.zeros(y.shape, y.dtype), tf.zeros(m.shape, m.dtype)];
      },
    };
  });
  return op(emissions, transitions, start, end, tags, mask) as tf.Tensor1D;
}

/** The rows of dy [n, k] that hold a nonzero, or null when over half of them do (not worth a gather). */
function nonzeroRows(dy: tf.Tensor2D): Int32Array | null {
  const [n, k] = dy.shape;
  const d = valuesOf(dy);
  const rows = new Int32Array(n);
  let count = 0;
  for (let r = 0; r < n; r++) {
    for (let j = r * k; j < (r + 1) * k; j++)
      if (d[j] !== 0) {
        rows[count++] = r;
        break;
      }
    if (count > n / 2) return null;
  }
  return rows.subarray(0, count);
}

/** The gradient of x·W + b: dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ dy. */
function affineGrad(x: tf.Tensor2D, w: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor[] {
  return [tf.matMul(dy, tf.transpose(w) as tf.Tensor2D), tf.matMul(tf.transpose(x) as tf.Tensor2D, dy), tf.sum(dy, 0)];
}

/**
 * x·W + b [n, k] with its gradient written with explicit transposes (dx = dy·transpose(W), dW =
 * transpose(x)·dy, db = Σ dy): tfjs's own matMul gradient multiplies by transposed operands, which
 * the wasm backend runs ~10× slower than a transpose followed by a plain product. The CRF's loss
 * gives padded tokens no gradient: when most rows of dy are zero, the products run over the others
 * only (the seed corpus' sentences fill about a third of their steps) and dx's zero rows are scattered.
 */
export function affine(x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((...args: unknown[]) => {
    const [xs, w, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([xs, w]);
    return {
      value: tf.add(tf.matMul(xs, w), bias) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, [xk, wk]: tf.Tensor[]) => {
        const rows = nonzeroRows(dy as tf.Tensor2D);
        if (!rows) return affineGrad(xk as tf.Tensor2D, wk as tf.Tensor2D, dy as tf.Tensor2D);
        if (rows.length === 0) return [tf.zerosLike(xk), tf.zerosLike(wk), tf.zeros([wk.shape[1] as number])];
        const idx = tf.tensor1d(rows, 'int32');
        const [dx, dW, db] = affineGrad(tf.gather(xk, idx) as tf.Tensor2D, wk as tf.Tensor2D, tf.gather(dy, idx) as tf.Tensor2D);
        return [tf.scatterND(tf.expandDims(idx, 1), dx, xk.shape), dW, db];
      },
    };
  });
  return op(x, W, b) as tf.Tensor2D;
}
