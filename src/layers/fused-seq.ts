// Owns what the fused lstm and gru ops (fused-lstm.ts, fused-gru.ts) share: one direction's problem
// (sizes, padding mask, activations, x·W + b for all steps, the recurrent dropout mask), the order
// steps are processed in, activations applied to whole runs of a typed array (one tight loop per
// activation instead of a call per element), and the one backend call per step, the recurrent
// matrix product.
import * as tf from '@tensorflow/tfjs';
import { wasmReadInto, wasmRowsTimes } from '../backend/wasm-ops';

/** The activations the fused ops compute (tfjs class names); others use the stock layer. */
export const ACT_NAMES = ['tanh', 'sigmoid', 'hardSigmoid', 'relu', 'linear'];

// The logistic function tabulated on [−16, 16] every 1/256 and interpolated linearly: |error| ≤ 2.3e-7
// (h²/8 · max|σ″| = 1.9e-7, plus the clamp: σ(−16) = 1.1e-7), below float32's spacing near 1 (6e-8)
// times 4; tanh(x) = 2σ(2x) − 1 to 4.6e-7. ~3 ns an element where the exp-based forms take ~8–10:
// these activations were most of the fused ops' own time. NaN stays NaN.
const SPAN = 16;
const PER_UNIT = 256;
const LAST = 2 * SPAN * PER_UNIT;
const SIGMOID = Float64Array.from({ length: LAST + 2 }, (_, i) => 1 / (1 + Math.exp(-(i / PER_UNIT - SPAN))));

/** σ(x) from the table. */
function sigmoid(x: number): number {
  let u = (x + SPAN) * PER_UNIT;
  u = u < 0 ? 0 : u > LAST ? LAST : u;
  const k = u | 0;
  const t = SIGMOID[k];
  return t + (u - k) * (SIGMOID[k + 1] - t);
}

/** a[from..to) ← act(a[from..to)), in place. */
export function activate(act: string, a: Float32Array, from: number, to: number): void {
  switch (act) {
    case 'tanh':
      for (let i = from; i < to; i++) a[i] = 2 * sigmoid(2 * a[i]) - 1;
      return;
    case 'sigmoid':
      for (let i = from; i < to; i++) a[i] = sigmoid(a[i]);
      return;
    case 'hardSigmoid': // tfjs: clip(0.2·x + 0.5, 0, 1)
      for (let i = from; i < to; i++) a[i] = Math.min(1, Math.max(0, 0.2 * a[i] + 0.5));
      return;
    case 'relu':
      for (let i = from; i < to; i++) if (a[i] < 0) a[i] = 0;
      return;
    case 'linear':
      return;
    default:
      throw new Error(`fused recurrent op: unsupported activation ${act}`);
  }
}

/** out[i] = act′ at the point where act took the value y[i] (each derivative written in terms of the value). */
export function derivative(act: string, y: Float32Array, out = take(y.length, false)): Float32Array {
  return derivativeRange(act, y, out, 0, y.length);
}

/** derivative() on y[from..to) only, into out[from..to). */
export function derivativeRange(act: string, y: Float32Array, out: Float32Array, from: number, to: number): Float32Array {
  switch (act) {
    case 'tanh':
      for (let i = from; i < to; i++) out[i] = 1 - y[i] * y[i];
      break;
    case 'sigmoid':
      for (let i = from; i < to; i++) out[i] = y[i] * (1 - y[i]);
      break;
    case 'hardSigmoid':
      for (let i = from; i < to; i++) out[i] = y[i] > 0 && y[i] < 1 ? 0.2 : 0;
      break;
    case 'relu':
      for (let i = from; i < to; i++) out[i] = y[i] > 0 ? 1 : 0;
      break;
    default:
      out.fill(1, from, to);
  }
  return out;
}

/** One direction's problem: sizes, flat inputs, and the recurrent product on the backend. */
export interface Seq {
  b: number;
  T: number;
  U: number;
  goBackwards: boolean;
  /** mask [b, T] (time order), or null: every step real. */
  mask: Float32Array | null;
  /** tfjs class names of the activation and the recurrent (gate) activation. */
  act: string;
  rec: string;
  /** x·W + bias for every step, [b, T, G·U] in time order (x already multiplied by its dropout mask). */
  xw: Float32Array;
  /** Recurrent dropout: h is multiplied by this [b, U] mask (0 or 1/(1 − rate)) where the step reads it, or null. */
  recMask: Float32Array | null;
}

/** rows [b, n] · m [n, k] on the backend into `into` [b, k]: the per-step product. */
export function product(rows: Float32Array, b: number, m: tf.Tensor2D, into: Float32Array): Float32Array {
  // On wasm straight to the kernel (no engine bookkeeping): up to half the cost of these small products.
  if (wasmRowsTimes(rows, b, m, into)) return into;
  // Not in a tf.tidy: tidy walks what its function returns, element by element for a typed array.
  const lhs = tf.tensor2d(rows, [b, rows.length / b]);
  const out = tf.matMul(lhs, m);
  into.set(out.dataSync() as Float32Array);
  tf.dispose([lhs, out]);
  return into;
}

// Large arrays (saved gates, gradients, copies of x·W and dy) are reused from one call to the next:
// allocated anew, each train step made megabytes of garbage and a full collection every few steps.
const pool = new Map<number, Float32Array[]>();
const POOL_DEPTH = 16;

/** A Float32Array of length n from the pool when one is free: zeroed, or as left when `zeroed` is false (the caller writes every element). */
export function take(n: number, zeroed = true): Float32Array {
  const a = pool.get(n)?.pop();
  if (!a) return new Float32Array(n);
  return zeroed ? a.fill(0) : a;
}

/**
 * Hands arrays back for reuse once nothing reads them. Only on wasm, which copies a typed array into
 * its heap when it makes a tensor of it; the cpu backend may keep the array itself as the tensor's data.
 */
export function give(...arrays: Float32Array[]): void {
  if (tf.getBackend() !== 'wasm') return;
  for (const a of arrays) {
    let free = pool.get(a.length);
    if (!free) pool.set(a.length, (free = []));
    if (free.length < POOL_DEPTH && !free.includes(a)) free.push(a);
  }
}

/** A float32 tensor's values in an array of the pool (wasm), or its dataSync() (not to be given back elsewhere). */
export function read(t: tf.Tensor): Float32Array {
  const into = take(t.size, false);
  return wasmReadInto(t, into) ? into : (t.dataSync() as Float32Array);
}

/** The state as the step reads it: h ⊙ recMask into `into` (h itself when there is no mask). */
export function readState(q: Seq, h: Float32Array, into: Float32Array): Float32Array {
  if (!q.recMask) return h;
  for (let i = 0; i < h.length; i++) into[i] = h[i] * q.recMask[i];
  return into;
}

/** Time index of the k-th processed step. */
export const timeOf = (q: Seq, k: number) => (q.goBackwards ? q.T - 1 - k : k);
export const isReal = (q: Seq, s: number, t: number) => !q.mask || q.mask[s * q.T + t] !== 0;

/** m [rows, cols] (row-major) transposed to [cols, rows] (into an array of the pool). */
export function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = take(m.length, false);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}
