// Owns the fused recurrent ops: one custom op (tf.customGrad) per lstm/gru layer per direction that
// runs the whole sequence forwards and, for the gradient, backpropagation through time in one backward
// sweep (Werbos 1990, doi:10.1109/5.58337), in place of tfjs's per-step ops recorded on the tape.
//
// What stays the tfjs layer's: class name, config, weights (kernel [D, G·U], recurrentKernel
// [U, G·U], bias [G·U], gate order i, f, c, o for lstm and z, r, h for gru), masks (a masked step
// outputs the previous output and keeps the state), goBackwards (steps in reverse, outputs in
// processing order), returnSequences. So checkpoints are the stock layer's and reload with
// tf.loadLayersModel. Cost per step: the recurrent matrix product(s) on the backend (one for lstm,
// two for gru, which needs r before its candidate product) and O(batch·U) gate arithmetic in float64;
// the input products x·W, and the weight gradients, are one large product each over all steps.
// Used where the stock layer would be: no dropout while training, no initial state, not stateful,
// no returnState, activations tanh, sigmoid, hardSigmoid, relu or linear; otherwise the stock call.
import * as tf from '@tensorflow/tfjs';
import { gruBackward, gruForward, type GruSaved } from './fused-gru';
import { ACTS, isReal, product, timeOf, type Seq } from './fused-seq';

interface LstmSaved {
  /** Gate values i, f, g = act(z_c), o after activation, [b, T, 4U] time order. */
  gates: Float32Array;
  /** Cell state before / after each step and the hidden state before it, [b, T, U] time order. */
  cPrev: Float32Array;
  c: Float32Array;
  hPrev: Float32Array;
}

/** LSTM over the sequence (Hochreiter & Schmidhuber 1997, with forget gate; tfjs's LSTMCell). */
function lstmForward(q: Seq, Ur: tf.Tensor2D): { y: Float32Array; saved: LstmSaved } {
  const { b, T, U } = q;
  const G = 4 * U;
  const y = new Float32Array(b * T * U); // processing order
  const saved: LstmSaved = { gates: new Float32Array(b * T * G), cPrev: new Float32Array(b * T * U), c: new Float32Array(b * T * U), hPrev: new Float32Array(b * T * U) };
  let h = new Float32Array(b * U);
  let c = new Float32Array(b * U);
  for (let k = 0; k < T; k++) {
    const t = timeOf(q, k);
    const r = k === 0 ? null : product(h, b, Ur);
    const hNext = new Float32Array(b * U);
    const cNext = new Float32Array(b * U);
    for (let s = 0; s < b; s++) {
      const st = (s * T + t) * U;
      saved.hPrev.set(h.subarray(s * U, (s + 1) * U), st);
      saved.cPrev.set(c.subarray(s * U, (s + 1) * U), st);
      if (!isReal(q, s, t)) {
        hNext.set(h.subarray(s * U, (s + 1) * U), s * U);
        cNext.set(c.subarray(s * U, (s + 1) * U), s * U);
        continue;
      }
      const z = (s * T + t) * G;
      const ro = s * G;
      for (let u = 0; u < U; u++) {
        const i = q.rec.f(q.xw[z + u] + (r ? r[ro + u] : 0));
        const f = q.rec.f(q.xw[z + U + u] + (r ? r[ro + U + u] : 0));
        const g = q.act.f(q.xw[z + 2 * U + u] + (r ? r[ro + 2 * U + u] : 0));
        const o = q.rec.f(q.xw[z + 3 * U + u] + (r ? r[ro + 3 * U + u] : 0));
        const cv = f * c[s * U + u] + i * g;
        saved.gates[z + u] = i;
        saved.gates[z + U + u] = f;
        saved.gates[z + 2 * U + u] = g;
        saved.gates[z + 3 * U + u] = o;
        cNext[s * U + u] = cv;
        hNext[s * U + u] = o * q.act.f(cv);
      }
    }
    for (let s = 0; s < b; s++) {
      y.set(hNext.subarray(s * U, (s + 1) * U), (s * T + k) * U);
      saved.c.set(cNext.subarray(s * U, (s + 1) * U), (s * T + t) * U);
    }
    h = hNext;
    c = cNext;
  }
  return { y, saved };
}

/**
 * Backpropagation through time: from dy (processing order) to the pre-activation gradients dZ
 * [b, T, 4U] (time order; 0 at masked steps, whose output and state gradients pass straight to the
 * step before). The recurrent product dZ_t·Urᵀ (UrT given transposed) is the only backend call per step.
 */
function lstmBackward(q: Seq, UrT: tf.Tensor2D, saved: LstmSaved, dy: Float32Array): Float32Array {
  const { b, T, U } = q;
  const G = 4 * U;
  const dZ = new Float32Array(b * T * G);
  let dh = new Float64Array(b * U);
  const dc = new Float64Array(b * U);
  const dzStep = new Float32Array(b * G);
  for (let k = T - 1; k >= 0; k--) {
    const t = timeOf(q, k);
    for (let s = 0; s < b; s++) for (let u = 0; u < U; u++) dh[s * U + u] += dy[(s * T + k) * U + u];
    dzStep.fill(0);
    for (let s = 0; s < b; s++) {
      if (!isReal(q, s, t)) continue;
      const z = (s * T + t) * G;
      for (let u = 0; u < U; u++) {
        const at = (s * T + t) * U + u;
        const i = saved.gates[z + u];
        const f = saved.gates[z + U + u];
        const g = saved.gates[z + 2 * U + u];
        const o = saved.gates[z + 3 * U + u];
        const ac = q.act.f(saved.c[at]);
        const dhv = dh[s * U + u];
        const dcv = dc[s * U + u] + dhv * o * q.act.d(ac);
        dzStep[s * G + u] = dcv * g * q.rec.d(i);
        dzStep[s * G + U + u] = dcv * saved.cPrev[at] * q.rec.d(f);
        dzStep[s * G + 2 * U + u] = dcv * i * q.act.d(g);
        dzStep[s * G + 3 * U + u] = dhv * ac * q.rec.d(o);
        dc[s * U + u] = dcv * f;
      }
      dZ.set(dzStep.subarray(s * G, (s + 1) * G), z);
    }
    if (k === 0) break;
    const back = product(dzStep, b, UrT);
    const next = new Float64Array(b * U);
    for (let s = 0; s < b; s++) for (let u = 0; u < U; u++) next[s * U + u] = isReal(q, s, t) ? back[s * U + u] : dh[s * U + u];
    dh = next;
  }
  return dZ;
}

/** Σ over rows of a row-major [n, k] array (the bias gradient). */
function columnSums(m: Float32Array, k: number): Float32Array {
  const acc = new Float64Array(k);
  for (let r = 0; r < m.length; r += k) for (let j = 0; j < k; j++) acc[j] += m[r + j];
  return Float32Array.from(acc);
}

/** The RNN layer's options the fused path reads (tfjs's LSTM/GRU and their cells). */
export interface RnnLayer extends tf.layers.Layer {
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
  stateful: boolean;
  cell: tf.layers.Layer & { units: number; useBias: boolean; dropout: number; recurrentDropout: number; activation: { getClassName(): string }; recurrentActivation: { getClassName(): string }; kernel: tf.LayerVariable; recurrentKernel: tf.LayerVariable; bias?: tf.LayerVariable };
}

/**
 * The whole sequence [b, T, U] in processing order, as one op differentiable w.r.t. x, the kernel,
 * the recurrent kernel and the bias (when used).
 */
export function fusedSequence(kind: 'lstm' | 'gru', layer: RnnLayer, x: tf.Tensor3D, mask: Float32Array | null): tf.Tensor3D {
  const cell = layer.cell;
  const [b, T, D] = x.shape;
  const U = cell.units;
  const weights = [cell.kernel.read(), cell.recurrentKernel.read(), ...(cell.useBias ? [cell.bias!.read()] : [])] as tf.Tensor[];
  const op = tf.customGrad((...args: unknown[]) => {
    // The last argument is tfjs's save function: the bias is there only when the layer has one.
    const [xs, W, Ur] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
    const bias = cell.useBias ? (args[3] as tf.Tensor1D) : undefined;
    // Inner tidies may dispose x before the backward pass: tfjs keeps only what is saved.
    (args[args.length - 1] as tf.GradSaveFunc)([xs, W, Ur]);
    const x2 = tf.reshape(xs, [b * T, D]) as tf.Tensor2D;
    const xwT = tf.tidy(() => (bias ? tf.add(tf.matMul(x2, W), bias) : tf.matMul(x2, W)));
    const q: Seq = { b, T, U, goBackwards: layer.goBackwards, mask, act: ACTS[cell.activation.getClassName()], rec: ACTS[cell.recurrentActivation.getClassName()], xw: xwT.dataSync() as Float32Array };
    const run = kind === 'lstm' ? lstmForward(q, Ur) : gruForward(q, Ur);
    return {
      value: tf.tensor3d(run.y, [b, T, U]),
      gradFunc: (dy: tf.Tensor, [xs, W, Ur]: tf.Tensor[]) => {
        const dyData = dy.dataSync() as Float32Array;
        // Explicit transposes: the wasm backend's matMul with a transposed operand is ~10× slower.
        const T2 = (m: tf.Tensor) => tf.transpose(m) as tf.Tensor2D;
        const { dZ, dUr } = kind === 'lstm' ? { dZ: lstmBackward(q, T2(Ur), run.saved as LstmSaved, dyData), dUr: null } : gruBackward(q, Ur as tf.Tensor2D, run.saved as GruSaved, dyData);
        const dZ2 = tf.tensor2d(dZ, [b * T, dZ.length / (b * T)]);
        const dRec = dUr ?? tf.matMul(T2(tf.tensor2d((run.saved as LstmSaved).hPrev, [b * T, U])), dZ2);
        const grads = [tf.reshape(tf.matMul(dZ2, T2(W)), [b, T, D]), tf.matMul(T2(tf.reshape(xs, [b * T, D])), dZ2), dRec];
        return bias ? [...grads, tf.tensor1d(columnSums(dZ, dZ.length / (b * T)))] : grads;
      },
    };
  });
  return op(x, ...weights) as tf.Tensor3D;
}

/** Whether the fused op computes what the stock layer's call would (see the header). */
export function fusable(layer: RnnLayer, kwargs: tf.serialization.ConfigDict | undefined, x: tf.Tensor): boolean {
  const cell = layer.cell;
  const training = Boolean(kwargs?.training);
  return (
    x.rank === 3 &&
    !kwargs?.initialState &&
    !layer.stateful &&
    !layer.returnState &&
    !(training && (cell.dropout > 0 || cell.recurrentDropout > 0)) &&
    cell.activation.getClassName() in ACTS &&
    cell.recurrentActivation.getClassName() in ACTS
  );
}

/** Routes the layer's call through the fused op where fusable; the stock call elsewhere. */
export function fuseRecurrent<L extends tf.layers.Layer>(kind: 'lstm' | 'gru', stock: L): L {
  const layer = stock as unknown as RnnLayer;
  const base = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    if ((Array.isArray(inputs) && inputs.length > 1) || !fusable(layer, kwargs, x)) return base(inputs, kwargs);
    return tf.tidy(() => {
      const m = kwargs?.mask as tf.Tensor | undefined;
      const mask = m ? (tf.tidy(() => tf.cast(tf.notEqual(tf.reshape(m, [x.shape[0], x.shape[1]]), 0), 'float32')).dataSync() as Float32Array) : null;
      const seq = fusedSequence(kind, layer, x, mask);
      if (layer.returnSequences) return seq;
      const [b, T, U] = seq.shape;
      return tf.reshape(tf.slice(seq, [0, T - 1, 0], [b, 1, U]), [b, U]);
    });
  };
  return stock;
}
