// Owns the `transformerEncoder` backbone and its two custom layers, from Vaswani et al., "Attention Is
// All You Need" (NeurIPS 2017), §3: multi-head scaled dot-product self-attention (eq. 1 and §3.2.2,
// built from matMul and softmax), a learned positional embedding added to the inputs (§3.5 mentions
// learned embeddings as equivalent), and per layer x ← LayerNorm(x + Dropout(Sublayer(x))) around the
// attention and the position-wise feed-forward network (eq. 2). No padding mask: every step attends
// to every step.
import * as tf from '@tensorflow/tfjs';
import { int, num, opts } from '../util/options';
import { makeBlock } from './block';
import { oneKernel } from './one-kernel';
import { layer, type LayerDescriptor } from './types';

const shapeOf = (s: tf.Shape | tf.Shape[]) => (Array.isArray(s[0]) ? s[0] : s) as tf.Shape;
const one = (x: tf.Tensor | tf.Tensor[]) => (Array.isArray(x) ? x[0] : x);

/** (batch, steps, d) → (batch, steps, d): softmax(QKᵀ/√d_k)V per head, heads concatenated, then W_O. */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  static className = 'MtlMultiHeadSelfAttention';
  readonly heads: number;
  private readonly seed: number | undefined;
  private w: Record<'q' | 'k' | 'v' | 'o', { kernel: tf.LayerVariable; bias: tf.LayerVariable }> | undefined;

  constructor(args: { heads: number; seed?: number; name?: string; trainable?: boolean }) {
    super(args);
    this.heads = args.heads;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = shapeOf(inputShape);
    const d = s[s.length - 1] as number;
    if (s.length !== 3) throw new Error(`self-attention needs (steps, features) input, received rank ${s.length - 1}`);
    if (d % this.heads !== 0) throw new Error(`the model width ${d} is not divisible by heads ${this.heads}`);
    const seed = this.seed ?? 0;
    const make = (p: 'q' | 'k' | 'v' | 'o', i: number) => ({
      kernel: this.addWeight(`${p}_kernel`, [d, d], 'float32', tf.initializers.glorotUniform({ seed: seed + i })),
      bias: this.addWeight(`${p}_bias`, [d], 'float32', tf.initializers.zeros()),
    });
    this.w = { q: make('q', 0), k: make('k', 1), v: make('v', 2), o: make('o', 3) };
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const [b, L, d] = x.shape;
      const h = this.heads;
      const dk = d / h;
      const w = this.w!;
      const flat = tf.reshape(x, [b * L, d]);
      const proj = (p: 'q' | 'k' | 'v') => tf.transpose(tf.reshape(tf.add(tf.matMul(flat, w[p].kernel.read()), w[p].bias.read()), [b, L, h, dk]), [0, 2, 1, 3]);
      const scores = tf.div(tf.matMul(proj('q'), proj('k'), false, true), Math.sqrt(dk));
      const heads = tf.matMul(tf.softmax(scores, -1), proj('v')); // (b, h, L, dk)
      const concat = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [b * L, d]);
      return tf.reshape(tf.add(tf.matMul(concat, w.o.kernel.read()), w.o.bias.read()), [b, L, d]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}
tf.serialization.registerClass(MultiHeadSelfAttention);

/** Adds a learned vector per position: (batch, steps, d) + P[steps, d]. */
export class PositionEmbedding extends tf.layers.Layer {
  static className = 'MtlPositionEmbedding';
  private readonly seed: number | undefined;
  private table: tf.LayerVariable | undefined;

  constructor(args: { seed?: number; name?: string; trainable?: boolean }) {
    super(args);
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = shapeOf(inputShape);
    if (s.length !== 3 || s[1] === null) throw new Error('a positional embedding needs (steps, features) input with a fixed number of steps');
    this.table = this.addWeight('embeddings', [s[1] as number, s[2] as number], 'float32', tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seed }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(one(inputs), this.table!.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}
tf.serialization.registerClass(PositionEmbedding);

export const transformerEncoderLayer: LayerDescriptor = layer({
  type: 'transformerEncoder',
  description: 'Small Transformer encoder over (steps, features) inputs (Vaswani et al. 2017): learned positions, multi-head self-attention, feed-forward, post-layer-norm residuals',
  options: opts({
    layers: int({ minimum: 1, default: 2, description: 'Number of encoder layers' }),
    heads: int({ minimum: 1, default: 4, description: 'Attention heads (dModel must be divisible by heads)' }),
    dModel: int({ minimum: 1, default: 64, description: 'Model width; inputs of another width are first projected to it by a dense layer' }),
    dFf: int({ minimum: 1, default: 128, description: 'Hidden width of the position-wise feed-forward network' }),
    dropout: num({ minimum: 0, exclusiveMaximum: 1, default: 0.1, description: 'Dropout on each sub-layer output before the residual sum' }),
  }),
  create(a, ctx) {
    return makeBlock(ctx, (b, input) => {
      if (input.shape.length !== 3) throw new Error(`transformerEncoder needs (steps, features) input, received rank ${input.shape.length - 1}`);
      const glorot = () => tf.initializers.glorotUniform({ seed: b.seed() });
      let x = input;
      if (input.shape[2] !== a.dModel) x = b.apply('input_proj', (name) => oneKernel(tf.layers.dense({ name, units: a.dModel, kernelInitializer: glorot() })), x);
      x = b.apply('positions', (name) => new PositionEmbedding({ name, seed: b.seed() }), x);
      // Unseeded dropout (see dropout.ts: a fixed seed repeats one mask at every step); the seed is still
      // drawn so that the layers after it keep their initial weights.
      const dropout = (part: string, y: tf.SymbolicTensor) => (a.dropout > 0 ? b.apply(part, (name) => (b.seed(), tf.layers.dropout({ name, rate: a.dropout })), y) : y);
      for (let i = 1; i <= a.layers; i++) {
        const p = `layer${i}`;
        let y = b.apply(`${p}_attention`, (name) => new MultiHeadSelfAttention({ name, heads: a.heads, seed: b.seed() }), x);
        y = dropout(`${p}_attention_dropout`, y);
        x = b.apply(`${p}_attention_add`, (name) => tf.layers.add({ name }), [x, y]);
        x = b.apply(`${p}_attention_norm`, (name) => tf.layers.layerNormalization({ name, epsilon: 1e-6 }), x);
        y = b.apply(`${p}_ff1`, (name) => oneKernel(tf.layers.dense({ name, units: a.dFf, activation: 'relu', kernelInitializer: glorot() })), x);
        y = b.apply(`${p}_ff2`, (name) => oneKernel(tf.layers.dense({ name, units: a.dModel, kernelInitializer: glorot() })), y);
        y = dropout(`${p}_ff_dropout`, y);
        x = b.apply(`${p}_ff_add`, (name) => tf.layers.add({ name }), [x, y]);
        x = b.apply(`${p}_ff_norm`, (name) => tf.layers.layerNormalization({ name, epsilon: 1e-6 }), x);
      }
      return x;
    });
  },
});
