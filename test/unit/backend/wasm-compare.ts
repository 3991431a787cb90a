// Test helper for the WASM kernel tests: deterministic inputs, running one function on the cpu and
// wasm backends, and comparing with a tolerance relative to the largest expected value.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../helpers/backend';

/** Deterministic values in [-1, 1) (a small LCG), so both backends see identical inputs. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs fn on a backend and returns its outputs as plain arrays (tensors disposed). */
export async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const arrays = list.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(list);
  return arrays;
}

/** |a − b| ≤ rtol · max|b| + atol, element-wise, with a readable failure. */
export function assertClose(actual: Float32Array, expected: Float32Array, label: string, rtol = 1e-4, atol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  const tol = rtol * scale + atol;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= tol)) assert.fail(`${label}: [${i}] wasm ${actual[i]} vs cpu ${expected[i]} (|diff| ${diff} > ${tol})`);
  }
}

export async function compare(label: string, fn: () => tf.Tensor | tf.Tensor[], rtol?: number): Promise<void> {
  const got = await on('wasm', fn);
  const want = await on('cpu', fn);
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assertClose(g, want[i], `${label} #${i}`, rtol));
}


export type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
export interface ConvCase {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  k: number | [number, number];
  stride: number | [number, number];
  pad: Pad;
}

/** Convolution geometries: strides, paddings (same, valid, numeric, explicit), odd sizes, batch 1. */
export const CONV_CASES: ConvCase[] = [
  { batch: 1, inH: 5, inW: 5, inC: 1, outC: 1, k: 3, stride: 1, pad: 'same' },
  { batch: 1, inH: 6, inW: 6, inC: 2, outC: 3, k: 3, stride: 1, pad: 'valid' },
  { batch: 3, inH: 7, inW: 7, inC: 3, outC: 2, k: 3, stride: 2, pad: 'same' },
  { batch: 3, inH: 8, inW: 8, inC: 2, outC: 4, k: 3, stride: 2, pad: 'valid' }, // last input row unused
  { batch: 1, inH: 9, inW: 8, inC: 2, outC: 2, k: 3, stride: [2, 1], pad: 'same' },
  { batch: 3, inH: 7, inW: 6, inC: 1, outC: 3, k: 3, stride: [2, 1], pad: 'valid' },
  { batch: 1, inH: 6, inW: 7, inC: 2, outC: 3, k: 3, stride: [1, 2], pad: 'same' },
  { batch: 1, inH: 6, inW: 6, inC: 4, outC: 4, k: 1, stride: 1, pad: 'same' },
  { batch: 3, inH: 7, inW: 7, inC: 3, outC: 2, k: 1, stride: 2, pad: 'valid' },
  { batch: 3, inH: 8, inW: 8, inC: 2, outC: 3, k: 1, stride: 2, pad: 'same' },
  { batch: 1, inH: 8, inW: 8, inC: 2, outC: 3, k: 5, stride: 1, pad: 'same' },
  { batch: 3, inH: 9, inW: 9, inC: 2, outC: 2, k: 5, stride: 2, pad: 'valid' },
  { batch: 1, inH: 11, inW: 10, inC: 1, outC: 2, k: 5, stride: 2, pad: 'same' },
  { batch: 1, inH: 12, inW: 12, inC: 2, outC: 2, k: 9, stride: 1, pad: 'same' },
  { batch: 3, inH: 11, inW: 11, inC: 1, outC: 3, k: 9, stride: 1, pad: 'valid' },
  { batch: 1, inH: 10, inW: 10, inC: 2, outC: 2, k: 9, stride: 2, pad: 'same' },
  { batch: 1, inH: 13, inW: 14, inC: 1, outC: 1, k: 9, stride: 3, pad: 'valid' },
  { batch: 3, inH: 6, inW: 7, inC: 3, outC: 5, k: 3, stride: 3, pad: 'same' },
  { batch: 3, inH: 8, inW: 8, inC: 2, outC: 2, k: 4, stride: 2, pad: 'same' }, // even kernel: uneven padding
  { batch: 1, inH: 5, inW: 6, inC: 2, outC: 3, k: 2, stride: 1, pad: 'same' },
  { batch: 3, inH: 8, inW: 9, inC: 2, outC: 3, k: [3, 5], stride: [1, 2], pad: 'same' },
  { batch: 1, inH: 7, inW: 7, inC: 2, outC: 2, k: 3, stride: 2, pad: 1 },
  { batch: 1, inH: 7, inW: 6, inC: 2, outC: 2, k: 3, stride: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
];

export function caseName(c: ConvCase): string {
  return `b${c.batch} ${c.inH}x${c.inW}x${c.inC}→${c.outC} k${c.k} s${c.stride} ${JSON.stringify(c.pad)}`;
}


/**
 * The gradient of Σ conv2d(x, w) ⊙ r with respect to the filter (exactly Conv2DBackpropFilter(x, r))
 * or to the input (exactly Conv2DBackpropInput(r, w)), deterministic x, w, r.
 */
export function conv2dGrad(c: ConvCase, wrt: 'filter' | 'input'): () => tf.Tensor {
  const [kh, kw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
  const xShape = [c.batch, c.inH, c.inW, c.inC] as [number, number, number, number];
  const wShape = [kh, kw, c.inC, c.outC] as [number, number, number, number];
  return () => {
    const x = tf.tensor4d(values(size(xShape), 1), xShape);
    const w = tf.tensor4d(values(size(wShape), 2), wShape);
    const conv = (a: tf.Tensor4D, f: tf.Tensor4D) => tf.conv2d(a, f, c.stride, c.pad as 'same');
    const yShape = conv(x, w).shape;
    const r = tf.tensor(values(size(yShape), 3), yShape);
    if (wrt === 'filter') return tf.grad((f: tf.Tensor) => tf.sum(tf.mul(conv(x, f as tf.Tensor4D), r)))(w);
    return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, w), r)))(x);
  };
}

/** Runs step once to warm up, then five times, and checks engine tensors and wasm buffers stay put. */
export async function assertNoLeak(step: () => void): Promise<void> {
  await useBackend('wasm');
  step();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const tensorsBefore = tf.memory().numTensors;
  const idsBefore = backend.numDataIds();
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, tensorsBefore, 'engine tensors');
  assert.equal(backend.numDataIds(), idsBefore, 'wasm buffers');
}
