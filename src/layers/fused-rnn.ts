// Owns the fused recurrent ops: one custom op (tf.customGrad) per lstm/gru layer per direction that
// runs the whole sequence forwards and, for the gradient, backpropagation through time in one backward
// sweep (Werbos 1990, doi:10.1109/5.58337), in place of tfjs's per-step ops recorded on the tape.
//
// What stays the tfjs layer's: class name, config, weights (kernel [D, G·U], recurrentKernel
// [U, G·U], bias [G·U], gate order i, f, c, o for lstm and z, r, h for gru), masks (a masked step
// outputs the previous output and keeps the state), goBackwards (steps in reverse, outputs in
// processing order), returnSequences, dropout and recurrentDropout while training (tfjs's masks:
// drawn like its cells draw them, from the same seeded generator, in the same order; one mask per
// sequence on x and one on the state the step reads). So checkpoints are the stock layer's and
// reload with tf.loadLayersModel; fuseLoadedModel gives a reloaded model the fused path again.
// Cost per step: the recurrent matrix product(s) (one for lstm, two for gru, which needs r before its
// candidate product) and O(batch·U) gate arithmetic; the input products x·W, and the weight
// gradients, are one large product each over all steps. On wasm a direction's sweeps and its weight
// gradients are SIMD kernels (fused-simd.ts); elsewhere the steps run in JS (fused-lstm.ts, fused-gru.ts).
// Used where the stock layer would be: no initial state, not stateful, no returnState, activations
// tanh, sigmoid, hardSigmoid, relu or linear; otherwise the stock call.
import * as tf from '@tensorflow/tfjs';
import { gruBackward, gruForward, type GruSaved } from './fused-gru';
import { lstmBackward, lstmForward, type LstmSaved } from './fused-lstm';
import { ACT_NAMES, give, read, transposed, type Seq } from './fused-seq';
import { simdHeap } from '../backend/wasm-simd';
import { simdSequence } from './fused-simd';

/** Σ over rows of a row-major [n, k] array (the bias gradient). */
function columnSums(m: Float32Array, k: number): Float32Array {
  const acc = new Float64Array(k);
  for (let r = 0; r < m.length; r += k) for (let j = 0; j < k; j++) acc[j] += m[r + j];
  return Float32Array.from(acc);
}

/**
 * ∂/∂W = xᵀ·dZ for x [n, D], dZ [n, G] (dZT its transpose, [G, n]). The wasm backend packs the
 * right operand of every product anew when it is a new tensor (~8 ns an element, more than the
 * product at these shapes), so the narrower of x and dZ goes on the right: (dZᵀ·x)ᵀ when D < G.
 */
function weightGrad(x: tf.Tensor2D, dZ: tf.Tensor2D, dZT: Float32Array, D: number, G: number): tf.Tensor2D {
  const n = x.shape[0];
  if (D < G) return tf.transpose(tf.matMul(tf.tensor2d(dZT, [G, n]), x)) as tf.Tensor2D;
  return tf.matMul(tf.transpose(x) as tf.Tensor2D, dZ);
}

/**
 * ∂/∂U [U, G·U] as (dZᵀ·h̃)ᵀ: the state [n, U] is the narrow right operand (see weightGrad). lstm:
 * h̃ for all four gates; gru: h̃ for z and r, r ⊙ h̃ for the candidate (its rows of dZᵀ follow).
 */
function recurrentGrad(kind: 'lstm' | 'gru', saved: LstmSaved | GruSaved, dZT: Float32Array, n: number, U: number): tf.Tensor2D {
  const state = (m: Float32Array) => tf.tensor2d(m, [n, U]);
  if (kind === 'lstm') return tf.transpose(tf.matMul(tf.tensor2d(dZT, [4 * U, n]), state(saved.hPrev))) as tf.Tensor2D;
  const zr = tf.matMul(tf.tensor2d(dZT.subarray(0, 2 * U * n), [2 * U, n]), state(saved.hPrev));
  const h = tf.matMul(tf.tensor2d(dZT.subarray(2 * U * n), [U, n]), state((saved as GruSaved).rh));
  return tf.transpose(tf.concat([zr, h], 0)) as tf.Tensor2D;
}

/** The RNN layer's options the fused path reads (tfjs's LSTM/GRU and their cells). */
export interface RnnLayer extends tf.layers.Layer {
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
  stateful: boolean;
  cell: tf.layers.Layer & { units: number; useBias: boolean; dropout: number; recurrentDropout: number; dropoutFunc?: (x: tf.Tensor, rate: number) => tf.Tensor; activation: { getClassName(): string }; recurrentActivation: { getClassName(): string }; kernel: tf.LayerVariable; recurrentKernel: tf.LayerVariable; bias?: tf.LayerVariable };
}

/** What the op needs of the call besides x: the padding mask and, while training, dropout masks. */
export interface CallMasks {
  /** [b, T] time order, or null: every step real. */
  mask: Float32Array | null;
  /** Input dropout [b, D] and recurrent dropout [b, U] masks (0 or 1/(1 − rate)), or null. */
  x: Float32Array | null;
  rec: Float32Array | null;
}

/**
 * tfjs's dropout masks for one call of the layer, drawn as its cell draws them (generateDropoutMask:
 * `count` masks of tf.dropout(ones, rate) for the inputs, then for the state, of which the cell uses
 * the first), so that the same seeded generator gives the stock layer's masks.
 */
export function dropoutMasks(kind: 'lstm' | 'gru', layer: RnnLayer, b: number, D: number): Pick<CallMasks, 'x' | 'rec'> {
  const cell = layer.cell;
  const count = kind === 'lstm' ? 4 : 3;
  const draw = (rate: number, width: number): Float32Array | null => {
    if (!(rate > 0 && rate < 1)) return null;
    const drop = cell.dropoutFunc ?? ((x: tf.Tensor, r: number) => tf.dropout(x, r));
    const masks = tf.tidy(() => Array.from({ length: count }, () => drop(tf.ones([b, width]), rate)));
    const first = masks[0].dataSync() as Float32Array;
    tf.dispose(masks);
    return first;
  };
  return { x: draw(cell.dropout, D), rec: draw(cell.recurrentDropout, cell.units) };
}

/**
 * The whole sequence [b, T, U] in processing order, as one op differentiable w.r.t. x, the kernel,
 * the recurrent kernel and the bias (when used).
 */
export function fusedSequence(kind: 'lstm' | 'gru', layer: RnnLayer, x: tf.Tensor3D, masks: CallMasks): tf.Tensor3D {
  const cell = layer.cell;
  const [b, T, D] = x.shape;
  const U = cell.units;
  const weights = [cell.kernel.read(), cell.recurrentKernel.read(), ...(cell.useBias ? [cell.bias!.read()] : [])] as tf.Tensor[];
  // x ⊙ its dropout mask (the same mask at every step), as the cell multiplies each step's input.
  const dropped = (xs: tf.Tensor) => (masks.x ? tf.mul(xs, tf.tensor3d(masks.x, [b, 1, D])) : xs);
  const heap = simdHeap();
  if (heap) {
    const p = { kind, b, T, D, U, goBackwards: layer.goBackwards, act: cell.activation.getClassName(), rec: cell.recurrentActivation.getClassName(), mask: masks.mask, recMask: masks.rec };
    return simdSequence(heap, p, cell.useBias, dropped)(x, ...weights);
  }
  const op = tf.customGrad((...args: unknown[]) => {
    // The last argument is tfjs's save function: the bias is there only when the layer has one.
    const [xs, W, Ur] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
    const bias = cell.useBias ? (args[3] as tf.Tensor1D) : undefined;
    // Inner tidies may dispose x before the backward pass: tfjs keeps only what is saved.
    (args[args.length - 1] as tf.GradSaveFunc)([xs, W, Ur]);
    const xw = tf.tidy(() => {
      const x2 = tf.reshape(dropped(xs), [b * T, D]) as tf.Tensor2D;
      return bias ? tf.add(tf.matMul(x2, W), bias) : tf.matMul(x2, W);
    });
    const q: Seq = { b, T, U, goBackwards: layer.goBackwards, mask: masks.mask, act: cell.activation.getClassName(), rec: cell.recurrentActivation.getClassName(), xw: read(xw), recMask: masks.rec };
    xw.dispose();
    const run = kind === 'lstm' ? lstmForward(q, Ur) : gruForward(q, Ur);
    give(q.xw);
    q.xw = new Float32Array(0);
    const value = tf.tensor3d(run.y, [b, T, U]);
    give(run.y);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [xs, W, Ur]: tf.Tensor[]) => {
        const dyData = read(dy);
        const dZ = kind === 'lstm' ? lstmBackward(q, tf.transpose(Ur) as tf.Tensor2D, run.saved as LstmSaved, dyData) : gruBackward(q, Ur as tf.Tensor2D, run.saved as GruSaved, dyData);
        const n = b * T;
        const G = dZ.length / n;
        const dZ2 = tf.tensor2d(dZ, [n, G]);
        const dZT = transposed(dZ, n, G);
        const x2 = tf.reshape(dropped(xs), [n, D]) as tf.Tensor2D;
        const dx = dropped(tf.reshape(tf.matMul(dZ2, tf.transpose(W) as tf.Tensor2D), [b, T, D]));
        const grads = [dx, weightGrad(x2, dZ2, dZT, D, G), recurrentGrad(kind, run.saved, dZT, n, U)];
        const all = bias ? [...grads, tf.tensor1d(columnSums(dZ, G))] : grads;
        give(dyData, dZ, dZT, ...(Object.values(run.saved) as Float32Array[]));
        return all;
      },
    };
  });
  return op(x, ...weights) as tf.Tensor3D;
}

/** Whether the fused op computes what the stock layer's call would (see the header). */
export function fusable(layer: RnnLayer, kwargs: tf.serialization.ConfigDict | undefined, x: tf.Tensor): boolean {
  const cell = layer.cell;
  return (
    x.rank === 3 &&
    !kwargs?.initialState &&
    !layer.stateful &&
    !layer.returnState &&
    ACT_NAMES.includes(cell.activation.getClassName()) &&
    ACT_NAMES.includes(cell.recurrentActivation.getClassName())
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
      const drop = kwargs?.training ? dropoutMasks(kind, layer, x.shape[0], x.shape[2]) : { x: null, rec: null };
      const seq = fusedSequence(kind, layer, x, { mask, ...drop });
      if (layer.returnSequences) return seq;
      const [b, T, U] = seq.shape;
      return tf.reshape(tf.slice(seq, [0, T - 1, 0], [b, 1, U]), [b, U]);
    });
  };
  return stock;
}

/**
 * Gives the lstm and gru layers of a deserialised model (tf.loadLayersModel builds stock layers) the
 * fused call, inside bidirectional wrappers and nested models too. Returns how many were fused.
 */
export function fuseLoadedModel(model: tf.LayersModel | tf.layers.Layer): number {
  let n = 0;
  const visit = (l: tf.layers.Layer): void => {
    const cls = l.getClassName();
    if (cls === 'LSTM' || cls === 'GRU') {
      if (!Object.prototype.hasOwnProperty.call(l, 'call')) fuseRecurrent(cls === 'LSTM' ? 'lstm' : 'gru', l);
      n++;
    }
    const wrapped = l as unknown as { forwardLayer?: tf.layers.Layer; backwardLayer?: tf.layers.Layer; layers?: tf.layers.Layer[] };
    for (const inner of [wrapped.forwardLayer, wrapped.backwardLayer, ...(wrapped.layers ?? [])]) if (inner) visit(inner);
  };
  visit(model as tf.layers.Layer);
  return n;
}
