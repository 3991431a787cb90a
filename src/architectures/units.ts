// Owns the custom tfjs layers the architectures wire in: the cross-stitch unit, the expert mixture,
// the DSelect-k gate and the soft-sharing penalty hook. Each is registered with
// tf.serialization.registerClass so that checkpoints reload through a stock tf.loadLayersModel once
// this module has been imported (src/model/custom-layers.ts does that for every reader).
import * as tf from '@tensorflow/tfjs';

type Shapes = tf.Shape | tf.Shape[];
const shapeList = (s: Shapes): tf.Shape[] => (Array.isArray(s[0]) ? (s as tf.Shape[]) : [s as tf.Shape]);
const same = (a: tf.Shape, b: tf.Shape) => a.slice(1).join(',') === b.slice(1).join(',');
const fmt = (s: tf.Shape) => `(${s.map((d) => d ?? '?').join(', ')})`;

/**
 * Cross-stitch unit (Misra, Shrivastava, Gupta & Hebert, CVPR 2016, eq. 1): T task activations of the
 * same shape in, T out, x̃_i = Σ_j α_ij x_j with a learned T×T matrix α initialised to alphaSelf on the
 * diagonal and (1 − alphaSelf)/(T − 1) elsewhere (the paper's α_S, α_D; rows sum to 1).
 */
export class CrossStitch extends tf.layers.Layer {
  static className = 'MtlCrossStitch';
  readonly alphaSelf: number;
  private alpha?: tf.LayerVariable;

  constructor(args: { alphaSelf?: number; name?: string; trainable?: boolean }) {
    super(args);
    this.alphaSelf = args.alphaSelf ?? 0.9;
  }

  override build(inputShape: Shapes): void {
    const shapes = shapeList(inputShape);
    const T = shapes.length;
    if (T < 2) throw new Error('a cross-stitch unit needs at least two task columns');
    for (const s of shapes) if (!same(s, shapes[0])) throw new Error(`cross-stitch columns must have the same shape, received ${shapes.map(fmt).join(' and ')}`);
    const off = (1 - this.alphaSelf) / (T - 1);
    this.alpha = this.addWeight('alpha', [T, T], 'float32', tf.initializers.constant({ value: off }));
    tf.tidy(() => {
      this.alpha!.write(tf.add(tf.mul(tf.eye(T), this.alphaSelf - off), off));
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: Shapes): tf.Shape[] {
    return shapeList(inputShape).map((s) => [...s]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const xs = inputs as tf.Tensor[];
      const shape = xs[0].shape;
      const flat = tf.stack(xs.map((x) => tf.reshape(x, [-1])));
      const mixed = tf.matMul(this.alpha!.read() as tf.Tensor2D, flat as tf.Tensor2D);
      return tf.unstack(mixed).map((m) => tf.reshape(m, shape));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alphaSelf: this.alphaSelf };
  }
}
tf.serialization.registerClass(CrossStitch);

/**
 * Mixture of experts under a gate: inputs [g (batch, n), e_1, …, e_n (batch, …)], output Σ_k g_k · e_k
 * per example (MMoE, Ma et al. 2018, eq. 5; CGC/PLE, Tang et al. 2020, eq. 2–4).
 */
export class ExpertMixture extends tf.layers.Layer {
  static className = 'MtlExpertMixture';

  override computeOutputShape(inputShape: Shapes): tf.Shape {
    const [g, ...experts] = shapeList(inputShape);
    if (g.length !== 2 || g[1] !== experts.length) throw new Error(`the gate must give one weight per expert: ${experts.length} experts, gate ${fmt(g)}`);
    for (const e of experts) if (!same(e, experts[0])) throw new Error(`experts must have the same output shape, received ${experts.map(fmt).join(' and ')}`);
    return [...experts[0]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [g, ...experts] = inputs as tf.Tensor[];
      const stacked = tf.stack(experts, 1); // (batch, n, …)
      const gShape = [g.shape[0], experts.length, ...new Array(stacked.rank - 2).fill(1)];
      return tf.sum(tf.mul(stacked, tf.reshape(g, gShape)), 1);
    });
  }
}
tf.serialization.registerClass(ExpertMixture);

/** Smooth-step S(t) of Hazimeh et al. 2021, eq. 3: 0 below −γ/2, 1 above γ/2, a cubic in between. */
export function smoothStep(t: tf.Tensor, gamma: number): tf.Tensor {
  return tf.tidy(() => {
    const c = tf.clipByValue(t, -gamma / 2, gamma / 2);
    return tf.add(tf.add(tf.mul(tf.pow(c, 3), -2 / gamma ** 3), tf.mul(c, 3 / (2 * gamma))), 0.5);
  });
}

/**
 * DSelect-k gate, per-example form (Hazimeh et al., NeurIPS 2021, arXiv:2106.03760, §3): k single-expert
 * selectors, each with m = ⌈log₂ n⌉ smooth-step "bits" z = W_z x; selector i puts weight
 * r_j = Π_l S(z_l)^[bit l of j] (1 − S(z_l))^[1 − bit l of j] on expert j; the gate is Σ_i softmax(W_α x)_i r⁽ⁱ⁾.
 * When n is not a power of two, the codes beyond n are dropped and each selector renormalised over the
 * n real experts (our choice; it keeps the gate a distribution, so the paper's extra term against
 * unreachable codes is not needed). z starts near 0, where S = ½ and every selector spreads evenly.
 *
 * The paper's entropy regulariser, with `entropy` = λ > 0: λ · mean over the batch of Σ_i h(r⁽ⁱ⁾(x)),
 * h(r) = −Σ_j r_j ln r_j, added to the training loss (model.calculateLosses) so that each selector
 * reaches a single expert sooner. It is evaluated on the routing input of the last training call
 * (kept by `call`); that input is the architecture's raw joined input, so no gradient is lost.
 */
export class DSelectKGate extends tf.layers.Layer {
  static className = 'MtlDSelectKGate';
  readonly experts: number;
  readonly k: number;
  readonly gamma: number;
  readonly seed?: number;
  /** λ of the entropy regulariser (0: none). */
  readonly entropy: number;
  /** The routing input of the last training call, for the regulariser. */
  private routing?: tf.Tensor2D;
  private zKernel?: tf.LayerVariable;
  private zBias?: tf.LayerVariable;
  private aKernel?: tf.LayerVariable;
  private aBias?: tf.LayerVariable;

  constructor(args: { experts: number; k?: number; gamma?: number; entropy?: number; seed?: number; name?: string; trainable?: boolean }) {
    super(args);
    this.experts = args.experts;
    this.k = args.k ?? 2;
    this.gamma = args.gamma ?? 1;
    this.entropy = args.entropy ?? 0;
    this.seed = args.seed;
    if (this.entropy > 0) this.addLoss(() => this.entropyPenalty());
  }

  get bits(): number {
    return Math.max(1, Math.ceil(Math.log2(this.experts)));
  }

  override build(inputShape: Shapes): void {
    const s = shapeList(inputShape)[0];
    if (s.length !== 2) throw new Error(`the dselect-k gate takes (batch, features), received ${fmt(s)}`);
    const d = s[1] as number;
    const seed = this.seed;
    const small = this.gamma / 100;
    this.zKernel = this.addWeight('z_kernel', [d, this.k * this.bits], 'float32', tf.initializers.randomUniform({ minval: -small, maxval: small, seed }));
    this.zBias = this.addWeight('z_bias', [this.k * this.bits], 'float32', tf.initializers.zeros());
    this.aKernel = this.addWeight('alpha_kernel', [d, this.k], 'float32', tf.initializers.glorotUniform({ seed: seed === undefined ? undefined : seed + 1 }));
    this.aBias = this.addWeight('alpha_bias', [this.k], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shapes): tf.Shape {
    return [shapeList(inputShape)[0][0], this.experts];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      if (kwargs.training && this.entropy > 0) {
        this.routing?.dispose();
        this.routing = tf.keep(tf.clone(x));
      }
      const alpha = tf.softmax(tf.add(tf.matMul(x, this.aKernel!.read() as tf.Tensor2D), this.aBias!.read()));
      return tf.sum(tf.mul(tf.expandDims(alpha, 2), this.selectors(x)), 1);
    });
  }

  /** λ · mean over the batch of Σ_i h(r⁽ⁱ⁾) on the last training batch (0 before any). */
  entropyPenalty(): tf.Scalar {
    return tf.tidy(() => {
      if (!this.routing || this.routing.isDisposed) return tf.scalar(0);
      const r = this.selectors(this.routing);
      const h = tf.neg(tf.sum(tf.mul(r, tf.log(tf.maximum(r, 1e-12))), 2)); // (batch, k)
      return tf.mul(tf.mean(tf.sum(h, 1)), this.entropy) as tf.Scalar;
    });
  }

  /** The k single-expert selectors' weights over the experts, (batch, k, experts). */
  private selectors(x: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const b = x.shape[0];
      const m = this.bits;
      const codes = 2 ** m;
      const z = tf.reshape(tf.add(tf.matMul(x, this.zKernel!.read() as tf.Tensor2D), this.zBias!.read()), [b, this.k, 1, m]);
      const s = smoothStep(z, this.gamma);
      const bitsOf = Array.from({ length: codes }, (_, j) => Array.from({ length: m }, (_, l) => (j >> l) & 1));
      const c = tf.reshape(tf.tensor2d(bitsOf, [codes, m]), [1, 1, codes, m]);
      // term[b, i, j, l] = S(z_il) when bit l of j is set, 1 − S(z_il) otherwise; r = product over l.
      const term = tf.add(tf.mul(c, s), tf.mul(tf.sub(1, c), tf.sub(1, s)));
      let r = tf.squeeze(tf.slice(term, [0, 0, 0, 0], [b, this.k, codes, 1]), [3]);
      for (let l = 1; l < m; l++) r = tf.mul(r, tf.squeeze(tf.slice(term, [0, 0, 0, l], [b, this.k, codes, 1]), [3]));
      if (this.experts < codes) {
        r = tf.slice(r, [0, 0, 0], [b, this.k, this.experts]);
        r = tf.div(r, tf.maximum(tf.sum(r, 2, true), 1e-12));
      }
      return r as tf.Tensor3D;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), experts: this.experts, k: this.k, gamma: this.gamma, ...(this.entropy ? { entropy: this.entropy } : {}), ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}
tf.serialization.registerClass(DSelectKGate);

/**
 * Identity layer that carries a training-only loss (the soft-sharing penalty) into
 * model.calculateLosses(), which the train step adds to the objective. The loss closure is not
 * serialised: a reloaded checkpoint predicts exactly the same and carries no penalty (inference only);
 * resuming training rebuilds the model from the spec, which attaches it again.
 */
export class PenaltyHook extends tf.layers.Layer {
  static className = 'MtlPenaltyHook';
  readonly lambda: number;

  constructor(args: { lambda?: number; name?: string; trainable?: boolean }) {
    super(args);
    this.lambda = args.lambda ?? 0;
  }

  override computeOutputShape(inputShape: Shapes): Shapes {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return Array.isArray(inputs) ? inputs.map((t) => tf.clone(t)) : tf.clone(inputs);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), lambda: this.lambda };
  }
}
tf.serialization.registerClass(PenaltyHook);
