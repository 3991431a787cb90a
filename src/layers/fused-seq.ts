// Owns what the fused lstm and gru ops (fused-rnn.ts, fused-gru.ts) share: one direction's problem
// (sizes, mask, activations, x·W + b for all steps), the order steps are processed in, and the one
// backend call per step, the recurrent matrix product.
import * as tf from '@tensorflow/tfjs';

/** An activation as the value and its derivative written in terms of the value. */
export interface Act {
  f(x: number): number;
  d(y: number): number;
}

export const ACTS: Record<string, Act> = {
  tanh: { f: Math.tanh, d: (y) => 1 - y * y },
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), d: (y) => y * (1 - y) },
  // tfjs: clip(0.2·x + 0.5, 0, 1)
  hardSigmoid: { f: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)), d: (y) => (y > 0 && y < 1 ? 0.2 : 0) },
  relu: { f: (x) => Math.max(0, x), d: (y) => (y > 0 ? 1 : 0) },
  linear: { f: (x) => x, d: () => 1 },
};

/** One direction's problem: sizes, flat inputs, and the recurrent product on the backend. */
export interface Seq {
  b: number;
  T: number;
  U: number;
  goBackwards: boolean;
  /** mask [b, T] (time order), or null: every step real. */
  mask: Float32Array | null;
  act: Act;
  rec: Act;
  /** x·W + bias for every step, [b, T, G·U] in time order. */
  xw: Float32Array;
}

/** rows [b, n] · m [n, k] on the backend: the per-step product. */
export function product(rows: Float32Array, b: number, m: tf.Tensor2D): Float32Array {
  // Not in a tf.tidy: tidy walks what its function returns, element by element for a typed array.
  const lhs = tf.tensor2d(rows, [b, rows.length / b]);
  const out = tf.matMul(lhs, m);
  const data = out.dataSync() as Float32Array;
  tf.dispose([lhs, out]);
  return data;
}

/** Time index of the k-th processed step. */
export const timeOf = (q: Seq, k: number) => (q.goBackwards ? q.T - 1 - k : k);
export const isReal = (q: Seq, s: number, t: number) => !q.mask || q.mask[s * q.T + t] !== 0;

