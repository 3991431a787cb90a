// Owns the gru half of the fused recurrent ops (fused-rnn.ts): tfjs's GRUCell (Cho et al. 2014,
// arXiv:1406.1078, reset gate applied before the recurrent product) over a whole sequence, and its
// backpropagation through time. Per step: x·W + b was computed for all steps at once; then
// z, r = rec(x_z + h·U_z), rec(x_r + h·U_r); h̃ = act(x_h + (r ⊙ h)·U_h); h' = z ⊙ h + (1 − z) ⊙ h̃.
import * as tf from '@tensorflow/tfjs';
import { isReal, product, timeOf, type Seq } from './fused-seq';

export interface GruSaved {
  /** z, r, h̃, h before the step and r ⊙ h, [b, T, U] each, time order. */
  z: Float32Array;
  r: Float32Array;
  hh: Float32Array;
  hPrev: Float32Array;
  rh: Float32Array;
}

/** The recurrent kernel's [U, 2U] (z, r) and [U, U] (h̃) column blocks. */
function blocks(Ur: tf.Tensor2D, U: number): [tf.Tensor2D, tf.Tensor2D] {
  return [tf.slice(Ur, [0, 0], [U, 2 * U]), tf.slice(Ur, [0, 2 * U], [U, U])];
}

export function gruForward(q: Seq, Ur: tf.Tensor2D): { y: Float32Array; saved: GruSaved } {
  const { b, T, U } = q;
  const n = b * T * U;
  const saved: GruSaved = { z: new Float32Array(n), r: new Float32Array(n), hh: new Float32Array(n), hPrev: new Float32Array(n), rh: new Float32Array(n) };
  const y = new Float32Array(n); // processing order
  const [Uzr, Uh] = blocks(Ur, U);
  let h = new Float32Array(b * U);
  const rhStep = new Float32Array(b * U);
  for (let k = 0; k < T; k++) {
    const t = timeOf(q, k);
    const inner = k === 0 ? null : product(h, b, Uzr);
    for (let s = 0; s < b; s++) {
      const x = (s * T + t) * 3 * U;
      for (let u = 0; u < U; u++) {
        const at = (s * T + t) * U + u;
        saved.z[at] = q.rec.f(q.xw[x + u] + (inner ? inner[s * 2 * U + u] : 0));
        saved.r[at] = q.rec.f(q.xw[x + U + u] + (inner ? inner[s * 2 * U + U + u] : 0));
        saved.hPrev[at] = h[s * U + u];
        rhStep[s * U + u] = saved.rh[at] = saved.r[at] * h[s * U + u];
      }
    }
    const recH = k === 0 ? null : product(rhStep, b, Uh);
    const hNext = new Float32Array(b * U);
    for (let s = 0; s < b; s++) {
      const x = (s * T + t) * 3 * U;
      const real = isReal(q, s, t);
      for (let u = 0; u < U; u++) {
        const at = (s * T + t) * U + u;
        const hh = q.act.f(q.xw[x + 2 * U + u] + (recH ? recH[s * U + u] : 0));
        saved.hh[at] = hh;
        hNext[s * U + u] = real ? saved.z[at] * h[s * U + u] + (1 - saved.z[at]) * hh : h[s * U + u];
      }
      y.set(hNext.subarray(s * U, (s + 1) * U), (s * T + k) * U);
    }
    h = hNext;
  }
  tf.dispose([Uzr, Uh]);
  return { y, saved };
}

/**
 * Backpropagation through time: dZ [b, T, 3U] (time order) = gradients of the pre-activations
 * (x_z + h·U_z, x_r + h·U_r, x_h + (r ⊙ h)·U_h), 0 at masked steps; and ∂/∂U = [hᵀ·dZ_zr, (r ⊙ h)ᵀ·dZ_h].
 */
export function gruBackward(q: Seq, Ur: tf.Tensor2D, saved: GruSaved, dy: Float32Array): { dZ: Float32Array; dUr: tf.Tensor } {
  const { b, T, U } = q;
  const dZ = new Float32Array(b * T * 3 * U);
  // Transposed once: the wasm backend's matMul with a transposed operand is ~10× slower.
  const [UzrT, UhT] = blocks(Ur, U).map((m) => {
    const t = tf.transpose(m) as tf.Tensor2D;
    m.dispose();
    return t;
  });
  let dh = new Float64Array(b * U);
  const dzr = new Float32Array(b * 2 * U);
  const dah = new Float32Array(b * U);
  for (let k = T - 1; k >= 0; k--) {
    const t = timeOf(q, k);
    for (let s = 0; s < b; s++) for (let u = 0; u < U; u++) dh[s * U + u] += dy[(s * T + k) * U + u];
    dah.fill(0);
    for (let s = 0; s < b; s++) {
      if (!isReal(q, s, t)) continue;
      for (let u = 0; u < U; u++) {
        const at = (s * T + t) * U + u;
        dah[s * U + u] = dh[s * U + u] * (1 - saved.z[at]) * q.act.d(saved.hh[at]);
      }
    }
    if (k === 0) {
      fillStep(q, saved, dh, dah, null, dzr, dZ, t);
      break;
    }
    const dRh = product(dah, b, UhT);
    fillStep(q, saved, dh, dah, dRh, dzr, dZ, t);
    const back = product(dzr, b, UzrT);
    const next = new Float64Array(b * U);
    for (let s = 0; s < b; s++) {
      const real = isReal(q, s, t);
      for (let u = 0; u < U; u++) {
        const at = (s * T + t) * U + u;
        next[s * U + u] = real ? dh[s * U + u] * saved.z[at] + dRh[s * U + u] * saved.r[at] + back[s * U + u] : dh[s * U + u];
      }
    }
    dh = next;
  }
  const dUr = tf.tidy(() => {
    const d2 = tf.tensor2d(dZ, [b * T, 3 * U]);
    const hT = tf.transpose(tf.tensor2d(saved.hPrev, [b * T, U]));
    const rhT = tf.transpose(tf.tensor2d(saved.rh, [b * T, U]));
    return tf.concat([tf.matMul(hT, tf.slice(d2, [0, 0], [b * T, 2 * U])), tf.matMul(rhT, tf.slice(d2, [0, 2 * U], [b * T, U]))], 1);
  });
  tf.dispose([UzrT, UhT]);
  return { dZ, dUr };
}

/** The step's dZ rows (z, r, h̃ pre-activation gradients) and the (z, r) block for the product. */
function fillStep(q: Seq, saved: GruSaved, dh: Float64Array, dah: Float32Array, dRh: Float32Array | null, dzr: Float32Array, dZ: Float32Array, t: number): void {
  const { b, T, U } = q;
  dzr.fill(0);
  for (let s = 0; s < b; s++) {
    if (!isReal(q, s, t)) continue;
    const x = (s * T + t) * 3 * U;
    for (let u = 0; u < U; u++) {
      const at = (s * T + t) * U + u;
      const dz = dh[s * U + u] * (saved.hPrev[at] - saved.hh[at]) * q.rec.d(saved.z[at]);
      const dr = dRh ? dRh[s * U + u] * saved.hPrev[at] * q.rec.d(saved.r[at]) : 0;
      dzr[s * 2 * U + u] = dZ[x + u] = dz;
      dzr[s * 2 * U + U + u] = dZ[x + U + u] = dr;
      dZ[x + 2 * U + u] = dah[s * U + u];
    }
  }
}
