// Owns the lstm half of the fused recurrent ops (fused-rnn.ts): tfjs's LSTMCell (Hochreiter &
// Schmidhuber 1997, doi:10.1162/neco.1997.9.8.1735, with the forget gate of Gers et al. 2000) over a
// whole sequence, and its backpropagation through time. Per step: x·W + b was computed for all steps
// at once; z = x_t·W + b + h̃·U with h̃ = h ⊙ recurrent-dropout mask (h without dropout);
// i, f, o = rec(z_i, z_f, z_o); g = act(z_g); c' = f ⊙ c + i ⊙ g; h' = o ⊙ act(c').
import * as tf from '@tensorflow/tfjs';
import { activate, derivative, derivativeRange, give, isReal, product, readState, take, timeOf, type Seq } from './fused-seq';

export interface LstmSaved {
  /** Gate values i, f, g = act(z_g), o after activation, [b, T, 4U] time order. */
  gates: Float32Array;
  /** Cell state before each step, act(cell state) after it, and h̃ (the state the step read), [b, T, U] time order. */
  cPrev: Float32Array;
  ac: Float32Array;
  hPrev: Float32Array;
}

/** Buffers one forward sweep reuses at every step. */
interface LstmWork {
  h: Float32Array;
  c: Float32Array;
  hm: Float32Array;
  z: Float32Array;
  /** h̃·U of the step. */
  r: Float32Array;
}

export function lstmForward(q: Seq, Ur: tf.Tensor2D): { y: Float32Array; saved: LstmSaved } {
  const { b, T, U } = q;
  const G = 4 * U;
  const y = take(b * T * U, false); // processing order: every element written
  const saved: LstmSaved = { gates: take(b * T * G), cPrev: take(b * T * U), ac: take(b * T * U), hPrev: take(b * T * U) };
  const w: LstmWork = { h: new Float32Array(b * U), c: new Float32Array(b * U), hm: new Float32Array(b * U), z: new Float32Array(b * G), r: new Float32Array(b * G) };
  // One call per step: a small function V8 optimises once, rather than one long loop it recompiles on every call.
  for (let k = 0; k < T; k++) lstmStep(q, k, Ur, w, saved, y);
  return { y, saved };
}

function lstmStep(q: Seq, k: number, Ur: tf.Tensor2D, w: LstmWork, saved: LstmSaved, y: Float32Array): void {
  const { b, T, U, xw } = q;
  const G = 4 * U;
  const { h, c, z } = w;
  // Locals: V8 reloads a property on every iteration of a loop that stores to a typed array.
  const [gates, cPrev, ac, hPrev] = [saved.gates, saved.cPrev, saved.ac, saved.hPrev];
  const t = timeOf(q, k);
  const hr = readState(q, h, w.hm);
  // h = 0 before the first step: no product.
  const r = k === 0 ? null : product(hr, b, Ur, w.r);
  for (let s = 0; s < b; s++) {
    const st = (s * T + t) * U;
    const zt = (s * T + t) * G;
    const so = s * G;
    const su = s * U;
    for (let u = 0; u < U; u++) {
      hPrev[st + u] = hr[su + u];
      cPrev[st + u] = c[su + u];
    }
    if (isReal(q, s, t)) {
      if (r === null) for (let j = 0; j < G; j++) z[so + j] = xw[zt + j];
      else for (let j = 0; j < G; j++) z[so + j] = xw[zt + j] + r[so + j];
      activate(q.rec, z, so, so + 2 * U);
      activate(q.act, z, so + 2 * U, so + 3 * U);
      activate(q.rec, z, so + 3 * U, so + G);
      for (let j = 0; j < G; j++) gates[zt + j] = z[so + j];
      for (let u = 0; u < U; u++) {
        const cv = z[so + U + u] * c[su + u] + z[so + u] * z[so + 2 * U + u];
        c[su + u] = cv;
        ac[st + u] = cv;
      }
      activate(q.act, ac, st, st + U);
      for (let u = 0; u < U; u++) h[su + u] = z[so + 3 * U + u] * ac[st + u];
    }
    // A masked step outputs the previous output and keeps the state.
    const yo = (s * T + k) * U;
    for (let u = 0; u < U; u++) y[yo + u] = h[su + u];
  }
}

/**
 * Backpropagation through time: from dy (processing order) to the pre-activation gradients dZ
 * [b, T, 4U] (time order; 0 at masked steps, whose output and state gradients pass straight to the
 * step before). The recurrent product dZ_t·Urᵀ (UrT given transposed) is the only backend call per step.
 */
export function lstmBackward(q: Seq, UrT: tf.Tensor2D, saved: LstmSaved, dy: Float32Array): Float32Array {
  const { b, T, U } = q;
  const G = 4 * U;
  const dZ = take(b * T * G);
  // Activation derivatives for the whole sequence: rec′ of i, f, o and act′ of g; act′ of act(c).
  const dGate = derivative(q.rec, saved.gates);
  if (q.act !== q.rec) for (let r = 2 * U; r < dGate.length; r += G) derivativeRange(q.act, saved.gates, dGate, r, r + U);
  const dAc = derivative(q.act, saved.ac);
  const w: LstmGrads = { dh: new Float64Array(b * U), dc: new Float64Array(b * U), dzStep: new Float32Array(b * G), back: new Float32Array(b * U), dZ };
  for (let k = T - 1; k >= 0; k--) lstmStepBack(q, k, UrT, saved, dGate, dAc, w, dy);
  give(dGate, dAc);
  return dZ;
}

/** Buffers one backward sweep reuses at every step; dh, dc are ∂/∂h, ∂/∂c after the step being processed. */
interface LstmGrads {
  dh: Float64Array;
  dc: Float64Array;
  dzStep: Float32Array;
  back: Float32Array;
  dZ: Float32Array;
}

function lstmStepBack(q: Seq, k: number, UrT: tf.Tensor2D, saved: LstmSaved, dGate: Float32Array, dAc: Float32Array, w: LstmGrads, dy: Float32Array): void {
  const { b, T, U } = q;
  const G = 4 * U;
  const { dh, dc, dzStep, dZ } = w;
  const [g, cPrev, ac] = [saved.gates, saved.cPrev, saved.ac];
  const t = timeOf(q, k);
  for (let s = 0; s < b; s++) {
    const [su, yo] = [s * U, (s * T + k) * U];
    for (let u = 0; u < U; u++) dh[su + u] += dy[yo + u];
  }
  dzStep.fill(0);
  for (let s = 0; s < b; s++) {
    if (!isReal(q, s, t)) continue;
    const zt = (s * T + t) * G;
    const so = s * G;
    const [su, st] = [s * U, (s * T + t) * U];
    for (let u = 0; u < U; u++) {
      const at = st + u;
      const dhv = dh[su + u];
      const dcv = dc[su + u] + dhv * g[zt + 3 * U + u] * dAc[at];
      dzStep[so + u] = dcv * g[zt + 2 * U + u] * dGate[zt + u];
      dzStep[so + U + u] = dcv * cPrev[at] * dGate[zt + U + u];
      dzStep[so + 2 * U + u] = dcv * g[zt + u] * dGate[zt + 2 * U + u];
      dzStep[so + 3 * U + u] = dhv * ac[at] * dGate[zt + 3 * U + u];
      dc[su + u] = dcv * g[zt + U + u];
    }
    for (let j = 0; j < G; j++) dZ[zt + j] = dzStep[so + j];
  }
  if (k === 0) return;
  // ∂/∂h̃ = dZ·Urᵀ; ∂/∂h = that ⊙ the recurrent dropout mask.
  const back = product(dzStep, b, UrT, w.back);
  const recMask = q.recMask;
  for (let s = 0; s < b; s++) {
    if (!isReal(q, s, t)) continue;
    const su = s * U;
    for (let u = 0; u < U; u++) dh[su + u] = recMask ? back[su + u] * recMask[su + u] : back[su + u];
  }
}
