// Owns the gru half of the fused recurrent ops (fused-rnn.ts): tfjs's GRUCell (Cho et al. 2014,
// arXiv:1406.1078, reset gate applied before the recurrent product) over a whole sequence, and its
// backpropagation through time. Per step: x·W + b was computed for all steps at once; then with
// h̃ = h ⊙ recurrent-dropout mask (h without dropout; tfjs uses h̃ in the update too):
// z, r = rec(x_z + h̃·U_z), rec(x_r + h̃·U_r); ĥ = act(x_h + (r ⊙ h̃)·U_h); h' = z ⊙ h̃ + (1 − z) ⊙ ĥ.
import * as tf from '@tensorflow/tfjs';
import { activate, derivative, give, isReal, product, readState, take, timeOf, type Seq } from './fused-seq';

export interface GruSaved {
  /** z, r, ĥ, h̃ (the state the step read) and r ⊙ h̃, [b, T, U] each, time order. */
  z: Float32Array;
  r: Float32Array;
  hh: Float32Array;
  hPrev: Float32Array;
  rh: Float32Array;
}

/** The recurrent kernel's [U, 2U] (z, r) and [U, U] (ĥ) column blocks. */
function blocks(Ur: tf.Tensor2D, U: number): [tf.Tensor2D, tf.Tensor2D] {
  return [tf.slice(Ur, [0, 0], [U, 2 * U]), tf.slice(Ur, [0, 2 * U], [U, U])];
}

/** Buffers one forward sweep reuses at every step. */
interface GruWork {
  h: Float32Array;
  hm: Float32Array;
  zr: Float32Array;
  rh: Float32Array;
  hh: Float32Array;
  /** The step's products h̃·U_zr and (r ⊙ h̃)·U_h. */
  inner: Float32Array;
  recH: Float32Array;
}

export function gruForward(q: Seq, Ur: tf.Tensor2D): { y: Float32Array; saved: GruSaved } {
  const { b, T, U } = q;
  const n = b * T * U;
  // Every element of these is written at its step.
  const saved: GruSaved = { z: take(n, false), r: take(n, false), hh: take(n, false), hPrev: take(n, false), rh: take(n, false) };
  const y = take(n, false); // processing order
  const [Uzr, Uh] = blocks(Ur, U);
  const w: GruWork = { h: new Float32Array(b * U), hm: new Float32Array(b * U), zr: new Float32Array(b * 2 * U), rh: new Float32Array(b * U), hh: new Float32Array(b * U), inner: new Float32Array(b * 2 * U), recH: new Float32Array(b * U) };
  // One call per step: a small function V8 optimises once, rather than one long loop it recompiles on every call.
  for (let k = 0; k < T; k++) gruStep(q, k, Uzr, Uh, w, saved, y);
  tf.dispose([Uzr, Uh]);
  return { y, saved };
}

function gruStep(q: Seq, k: number, Uzr: tf.Tensor2D, Uh: tf.Tensor2D, w: GruWork, saved: GruSaved, y: Float32Array): void {
  const { b, T, U, xw } = q;
  const { h, zr, rh, hh } = w;
  // Locals: V8 reloads a property on every iteration of a loop that stores to a typed array.
  const [sz, sr, sh, srh, shh] = [saved.z, saved.r, saved.hPrev, saved.rh, saved.hh];
  const t = timeOf(q, k);
  const hr = readState(q, h, w.hm);
  // h = 0 before the first step: no products.
  const inner = k === 0 ? null : product(hr, b, Uzr, w.inner);
  for (let s = 0; s < b; s++) {
    const x = (s * T + t) * 3 * U;
    const o = s * 2 * U;
    if (inner === null) for (let j = 0; j < 2 * U; j++) zr[o + j] = xw[x + j];
    else for (let j = 0; j < 2 * U; j++) zr[o + j] = xw[x + j] + inner[o + j];
  }
  activate(q.rec, zr, 0, zr.length);
  for (let s = 0; s < b; s++) {
    const st = (s * T + t) * U;
    const o = s * 2 * U;
    const so = s * U;
    for (let u = 0; u < U; u++) {
      const hv = hr[so + u];
      const rv = zr[o + U + u];
      sz[st + u] = zr[o + u];
      sr[st + u] = rv;
      sh[st + u] = hv;
      srh[st + u] = rh[so + u] = rv * hv;
    }
  }
  const recH = k === 0 ? null : product(rh, b, Uh, w.recH);
  for (let s = 0; s < b; s++) {
    const x = (s * T + t) * 3 * U + 2 * U;
    const so = s * U;
    if (recH === null) for (let u = 0; u < U; u++) hh[so + u] = xw[x + u];
    else for (let u = 0; u < U; u++) hh[so + u] = xw[x + u] + recH[so + u];
  }
  activate(q.act, hh, 0, hh.length);
  for (let s = 0; s < b; s++) {
    const st = (s * T + t) * U;
    const so = s * U;
    const yo = (s * T + k) * U;
    for (let u = 0; u < U; u++) shh[st + u] = hh[so + u];
    // A masked step outputs the previous output and keeps the state (h, not h̃).
    if (isReal(q, s, t)) for (let u = 0; u < U; u++) h[so + u] = zr[2 * so + u] * hr[so + u] + (1 - zr[2 * so + u]) * hh[so + u];
    for (let u = 0; u < U; u++) y[yo + u] = h[so + u];
  }
}

/**
 * Backpropagation through time: dZ [b, T, 3U] (time order) = gradients of the pre-activations
 * (x_z + h̃·U_z, x_r + h̃·U_r, x_h + (r ⊙ h̃)·U_h), 0 at masked steps. (∂/∂U = [h̃ᵀ·dZ_zr, (r ⊙ h̃)ᵀ·dZ_h]
 * is the caller's, from saved.hPrev and saved.rh.)
 */
export function gruBackward(q: Seq, Ur: tf.Tensor2D, saved: GruSaved, dy: Float32Array): Float32Array {
  const { b, T, U } = q;
  const dZ = take(b * T * 3 * U);
  // Transposed once: the wasm backend's matMul with a transposed operand is ~10× slower.
  const [UzrT, UhT] = blocks(Ur, U).map((m) => {
    const t = tf.transpose(m) as tf.Tensor2D;
    m.dispose();
    return t;
  });
  const d = { z: derivative(q.rec, saved.z), r: derivative(q.rec, saved.r), hh: derivative(q.act, saved.hh) };
  const w: GruGrads = { dh: new Float64Array(b * U), dzr: new Float32Array(b * 2 * U), dah: new Float32Array(b * U), dRh: new Float32Array(b * U), back: new Float32Array(b * U), dZ };
  for (let k = T - 1; k >= 0; k--) gruStepBack(q, k, UzrT, UhT, saved, d, w, dy);
  tf.dispose([UzrT, UhT]);
  give(d.z, d.r, d.hh);
  return dZ;
}

/** Buffers one backward sweep reuses at every step; dh is ∂/∂h after the step being processed. */
interface GruGrads {
  dh: Float64Array;
  dzr: Float32Array;
  dah: Float32Array;
  dRh: Float32Array;
  back: Float32Array;
  dZ: Float32Array;
}

type GruDerivatives = { z: Float32Array; r: Float32Array; hh: Float32Array };

function gruStepBack(q: Seq, k: number, UzrT: tf.Tensor2D, UhT: tf.Tensor2D, saved: GruSaved, d: GruDerivatives, w: GruGrads, dy: Float32Array): void {
  const { b, T, U } = q;
  const { dh, dah } = w;
  const [sz, sr, dhh] = [saved.z, saved.r, d.hh];
  const t = timeOf(q, k);
  for (let s = 0; s < b; s++) {
    const [so, yo] = [s * U, (s * T + k) * U];
    for (let u = 0; u < U; u++) dh[so + u] += dy[yo + u];
  }
  dah.fill(0);
  for (let s = 0; s < b; s++) {
    if (!isReal(q, s, t)) continue;
    const [so, st] = [s * U, (s * T + t) * U];
    for (let u = 0; u < U; u++) dah[so + u] = dh[so + u] * (1 - sz[st + u]) * dhh[st + u];
  }
  // h̃ = 0 at the first step: nothing flows to the reset gate or further back.
  const dRh = k === 0 ? null : product(dah, b, UhT, w.dRh);
  fillStep(q, saved, d, dh, dah, dRh, w.dzr, w.dZ, t);
  if (dRh === null) return;
  const back = product(w.dzr, b, UzrT, w.back);
  const recMask = q.recMask;
  for (let s = 0; s < b; s++) {
    if (!isReal(q, s, t)) continue;
    const [so, st] = [s * U, (s * T + t) * U];
    for (let u = 0; u < U; u++) {
      // ∂/∂h̃, then ∂/∂h = ∂/∂h̃ ⊙ the recurrent dropout mask.
      const g = dh[so + u] * sz[st + u] + dRh[so + u] * sr[st + u] + back[so + u];
      dh[so + u] = recMask ? g * recMask[so + u] : g;
    }
  }
}

/** The step's dZ rows (z, r, ĥ pre-activation gradients) and the (z, r) block for the product. */
function fillStep(q: Seq, saved: GruSaved, d: { z: Float32Array; r: Float32Array }, dh: Float64Array, dah: Float32Array, dRh: Float32Array | null, dzr: Float32Array, dZ: Float32Array, t: number): void {
  const { b, T, U } = q;
  const [sh, shh, dz, dr] = [saved.hPrev, saved.hh, d.z, d.r];
  dzr.fill(0);
  for (let s = 0; s < b; s++) {
    if (!isReal(q, s, t)) continue;
    const [so, st, x] = [s * U, (s * T + t) * U, (s * T + t) * 3 * U];
    for (let u = 0; u < U; u++) {
      const g = dh[so + u] * (sh[st + u] - shh[st + u]) * dz[st + u];
      dzr[2 * so + u] = dZ[x + u] = g;
      dZ[x + 2 * U + u] = dah[so + u];
    }
    if (dRh) for (let u = 0; u < U; u++) dzr[2 * so + U + u] = dZ[x + U + u] = dRh[so + u] * sh[st + u] * dr[st + u];
  }
}
