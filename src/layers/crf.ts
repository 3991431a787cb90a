// Owns the `crf` layer: a linear-chain conditional random field head for sequence tagging
// (Lafferty, McCallum & Pereira 2001), with its negative log-likelihood (forward algorithm in log
// space) and Viterbi decoding, following Sutton & McCallum, "An Introduction to Conditional Random
// Fields" (2012), §4.1. The layer's output is the per-token emission scores; the transition, start
// and end scores are weights of the layer, read by the `crf-nll` loss and by the decoder.
import * as tf from '@tensorflow/tfjs';
import { int, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { affine, crfNllFused } from './crf-ops';
import { simdHeap } from '../backend/wasm-simd';
import { viterbiWasm } from './crf-simd';

interface CrfArgs {
  numTags: number;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

/**
 * Emissions E = x·W + b over the last axis, shape (batch, steps, numTags). Trainable weights: the
 * projection W, b; transitions A[i, j] (score of tag i followed by tag j); start and end scores.
 * score(y) = start[y_0] + Σ_t E[t, y_t] + Σ_{t≥1} A[y_{t−1}, y_t] + end[y_last].
 */
export class CRF extends tf.layers.Layer {
  static className = 'MtlCRF';
  readonly numTags: number;
  private readonly seed: number | undefined;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;
  private transitionsVar?: tf.LayerVariable;
  private startVar?: tf.LayerVariable;
  private endVar?: tf.LayerVariable;

  constructor(args: CrfArgs) {
    super(args);
    this.numTags = args.numTags;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 3) throw new Error(`crf needs (batch, steps, features) input, received rank ${shape.length}`);
    const d = shape[shape.length - 1] as number;
    const n = this.numTags;
    const seed = this.seed;
    this.kernel = this.addWeight('kernel', [d, n], 'float32', tf.initializers.glorotUniform({ seed }));
    this.bias = this.addWeight('bias', [n], 'float32', tf.initializers.zeros());
    // Small random transitions break the symmetry between tags without favouring any sequence.
    this.transitionsVar = this.addWeight('transitions', [n, n], 'float32', tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed === undefined ? undefined : seed + 1 }));
    this.startVar = this.addWeight('start', [n], 'float32', tf.initializers.zeros());
    this.endVar = this.addWeight('end', [n], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.numTags];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [b, steps, d] = x.shape;
      const flat = affine(tf.reshape(x, [b * steps, d]) as tf.Tensor2D, this.kernel!.read() as tf.Tensor2D, this.bias!.read() as tf.Tensor1D);
      return tf.reshape(flat, [b, steps, this.numTags]);
    });
  }

  /** Current transition, start and end scores (read inside the caller's tidy/gradient scope). */
  scores(): { transitions: tf.Tensor2D; start: tf.Tensor1D; end: tf.Tensor1D } {
    if (!this.built) throw new Error(`crf layer ${this.name} is not built yet`);
    return { transitions: this.transitionsVar!.read() as tf.Tensor2D, start: this.startVar!.read() as tf.Tensor1D, end: this.endVar!.read() as tf.Tensor1D };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numTags: this.numTags, ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}
tf.serialization.registerClass(CRF);

/**
 * Per-token mask float32 [b, steps]: the batch's per-token mask when it has one, times (tag ≥ 0) so
 * that negative padding tags also count as padding. A per-row mask [b] is left to the caller's mean.
 */
export function tokenMask(tags: tf.Tensor, mask?: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    let m = tf.cast(tf.greaterEqual(tags, 0), 'float32');
    if (mask && mask.rank === tags.rank) m = tf.mul(m, tf.cast(mask, 'float32'));
    return m as tf.Tensor2D;
  });
}

/**
 * Negative log-likelihood −log p(y | x) per sequence [b]: log Z − score(y), log Z by the forward
 * recursion α_t(j) = E_t(j) + logsumexp_i(α_{t−1}(i) + A(i, j)) over each row's real tokens (mask
 * ≠ 0, expected before the padding); the gradient is one forward–backward sweep. One fused op (see
 * crf-ops.ts for the cost model): nothing per time step is recorded on the gradient tape.
 */
export function crfNll(emissions: tf.Tensor, tags: tf.Tensor, mask: tf.Tensor2D, transitions: tf.Tensor2D, start: tf.Tensor1D, end: tf.Tensor1D): tf.Tensor1D {
  return crfNllFused(emissions, tags, mask, transitions, start, end);
}

/**
 * Viterbi decoding: the highest-scoring tag path of each sequence over its real tokens (lengths[i]
 * leading tokens; ties go to the lowest tag); padded positions get tag 0. Returns int tags [b·steps]
 * row-major. On wasm a SIMD kernel (crf-simd.ts) with the same float64 operations: the same paths.
 */
export function viterbiDecode(
  emissions: ArrayLike<number>,
  b: number,
  steps: number,
  n: number,
  transitions: ArrayLike<number>,
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  lengths?: ArrayLike<number>,
): Int32Array {
  const w = b * steps * n > 0 ? simdHeap() : null;
  if (w) return viterbiWasm(w, emissions, b, steps, n, transitions, start, end, lengths);
  return viterbiDecodeJs(emissions, b, steps, n, transitions, start, end, lengths);
}

/** viterbiDecode in plain JS (every backend). */
export function viterbiDecodeJs(
  emissions: ArrayLike<number>,
  b: number,
  steps: number,
  n: number,
  transitions: ArrayLike<number>,
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  lengths?: ArrayLike<number>,
): Int32Array {
  const out = new Int32Array(b * steps);
  const delta = new Float64Array(n);
  const next = new Float64Array(n);
  const back = new Int32Array(steps * n);
  // Transposed transitions: the inner loop over the previous tag reads contiguous numbers.
  const AT = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) AT[j * n + i] = transitions[i * n + j];
  for (let s = 0; s < b; s++) {
    const L = lengths ? lengths[s] : steps;
    if (L <= 0) continue;
    const base = s * steps * n;
    for (let j = 0; j < n; j++) delta[j] = start[j] + emissions[base + j];
    for (let t = 1; t < L; t++) {
      for (let j = 0; j < n; j++) {
        let best = -Infinity;
        let arg = 0;
        const col = j * n;
        for (let i = 0; i < n; i++) {
          const v = delta[i] + AT[col + i];
          if (v > best) {
            best = v;
            arg = i;
          }
        }
        next[j] = best + emissions[base + t * n + j];
        back[t * n + j] = arg;
      }
      delta.set(next);
    }
    let best = -Infinity;
    let tag = 0;
    for (let j = 0; j < n; j++) {
      const v = delta[j] + end[j];
      if (v > best) {
        best = v;
        tag = j;
      }
    }
    for (let t = L - 1; t >= 0; t--) {
      out[s * steps + t] = tag;
      if (t > 0) tag = back[t * n + tag];
    }
  }
  return out;
}

/** Number of leading real tokens of each row of a float mask [b, steps]. */
export function lengthsOf(mask: ArrayLike<number>, b: number, steps: number): Int32Array {
  const out = new Int32Array(b);
  for (let s = 0; s < b; s++) {
    let L = 0;
    for (let t = 0; t < steps; t++) if (mask[s * steps + t] > 0) L = t + 1;
    out[s] = L;
  }
  return out;
}

/** The CRF layer of a task: the model layer named after the task (its head's last layer). */
export function crfLayerOf(model: tf.LayersModel, taskName: string): CRF {
  const named = model.layers.find((l) => l.name === taskName);
  if (named instanceof CRF) return named;
  const crfs = model.layers.filter((l): l is CRF => l instanceof CRF);
  if (crfs.length === 1) return crfs[0];
  throw new Error(`task "${taskName}" uses crf-nll, but its head does not end in a crf layer`);
}

export const crfLayer: LayerDescriptor = layer({
  type: 'crf',
  description: 'Linear-chain CRF tagging head: per-token emission scores (batch, steps, numTags) plus learned transition, start and end scores; use with loss crf-nll',
  options: opts({
    numTags: int({ required: true, minimum: 2, description: 'Number of tags (e.g. 3 for O, B-LOC, I-LOC)' }),
  }),
  create(a, ctx) {
    return new CRF({ name: ctx.name, numTags: a.numTags, seed: ctx.nextSeed() });
  },
});
