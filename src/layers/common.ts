// Owns the schema fragments and tfjs mappings shared by the layer descriptors (activations,
// initialisers, regularisers, int-or-tuple arguments).
import * as tf from '@tensorflow/tfjs';
import { bool, custom, int, num, obj, oneOf, opts, type Options } from '../util/options';

/** tfjs-layers 4.22 activation identifiers (keras_format/activation_config ActivationIdentifier, minus gelu_new). */
export const ACTIVATIONS = [
  'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hardSigmoid', 'softmax', 'softplus', 'softsign', 'tanh', 'swish', 'mish', 'gelu',
] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** An activation option with a default. */
export const activation = (def: Activation, description = 'Activation applied to the output') => oneOf(ACTIVATIONS, { default: def, description });

type Initializer = ReturnType<typeof tf.initializers.ones>;
type Regularizer = ReturnType<typeof tf.regularizers.l1l2>;
type Init = (seed: number) => Initializer;

/**
 * Orthogonal initialisation, computed fast. tfjs 4.22's Orthogonal runs its QR as hundreds of small
 * tensor ops (an lstm's [128, 512] recurrent kernel takes ~12 s on the cpu backend, and it console.warns
 * "Slowness may result" above 2000 elements). The replacement is installed on the Orthogonal class
 * itself, not per instance, because tfjs also builds Orthogonal from layer configs — Bidirectional
 * rebuilds its forward layer that way, and every checkpoint load re-initialises before setting weights.
 * Same seeded normal matrix tf.randomNormal(flatShape, 0, 1, dtype, seed), then Gram–Schmidt run twice
 * in float64 in plain JS. Gram–Schmidt yields the QR factor whose R has a positive diagonal, which is
 * exactly tfjs's Q·sign(diag R), so the values match tfjs's own to float rounding.
 */
function fastOrthogonalApply(this: { gain?: number; seed?: number }, shape: number[], dtype?: tf.DataType): tf.Tensor {
  if (shape.length < 2) throw new Error('orthogonal initializer needs a kernel of at least 2 dimensions');
  const gain = this.gain ?? 1;
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const cols = shape[shape.length - 1];
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  // Not tf.tidy(() => ….dataSync()): tidy walks what its function returns, element by element for an
  // array (about 400 ms for a 590k-value kernel).
  const normal = tf.randomNormal([m, n], 0, 1, 'float32', this.seed);
  const a = normal.dataSync();
  normal.dispose();
  // q holds the n columns of the [m, n] matrix, column-major.
  const q = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[j * m + i] = a[i * n + j];
  for (let j = 0; j < n; j++) {
    const v = q.subarray(j * m, (j + 1) * m);
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const u = q.subarray(k * m, (k + 1) * m);
        let dot = 0;
        for (let i = 0; i < m; i++) dot += u[i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= dot * u[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i] /= norm;
  }
  // Result [rows, cols]: Q itself when rows ≥ cols, its transpose otherwise.
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows >= cols ? q[c * m + r] : q[r * m + c]);
  }
  return tf.tensor(out, shape, dtype === 'int32' ? 'int32' : 'float32');
}
(Object.getPrototypeOf(tf.initializers.orthogonal({})) as { apply: typeof fastOrthogonalApply }).apply = fastOrthogonalApply;

/** Every initialiser a spec can name, each built with a seed when it draws random numbers. */
const INITIALIZERS = new Map<string, Init>([
  ['glorotUniform', (seed) => tf.initializers.glorotUniform({ seed })],
  ['glorotNormal', (seed) => tf.initializers.glorotNormal({ seed })],
  ['heUniform', (seed) => tf.initializers.heUniform({ seed })],
  ['heNormal', (seed) => tf.initializers.heNormal({ seed })],
  ['leCunUniform', (seed) => tf.initializers.leCunUniform({ seed })],
  ['leCunNormal', (seed) => tf.initializers.leCunNormal({ seed })],
  ['orthogonal', (seed) => tf.initializers.orthogonal({ seed })],
  ['randomUniform', (seed) => tf.initializers.randomUniform({ seed })],
  ['randomNormal', (seed) => tf.initializers.randomNormal({ seed })],
  ['truncatedNormal', (seed) => tf.initializers.truncatedNormal({ seed })],
  ['zeros', () => tf.initializers.zeros()],
  ['ones', () => tf.initializers.ones()],
]);

export const INITIALIZER_NAMES = [...INITIALIZERS.keys()];

export const initializerOption = (def: string, description: string) =>
  custom<string>()({
    type: 'string',
    enum: INITIALIZER_NAMES,
    default: def,
    description,
  });

/**
 * A seeded initialiser. The seed is drawn by the caller whether or not the chosen initialiser is random,
 * so that changing one layer's initialiser does not shift the seeds of the layers after it.
 */
export function initializer(name: string | undefined, def: string, seed: number): Initializer {
  const key = name ?? def;
  const make = INITIALIZERS.get(key);
  if (!make) throw new Error(`unknown initializer "${key}" (allowed: ${INITIALIZER_NAMES.join(', ')})`);
  return make(seed);
}

export const regularizerOption = (what: string) =>
  obj(
    {
      l1: num({ minimum: 0, default: 0, description: 'L1 factor' }),
      l2: num({ minimum: 0, default: 0, description: 'L2 factor' }),
    },
    { description: `L1/L2 penalty on the ${what}, added to the training loss` },
  );

export function regularizer(cfg: { l1: number; l2: number } | null | undefined): Regularizer | undefined {
  if (!cfg) return undefined;
  const { l1, l2 } = cfg;
  return l1 > 0 || l2 > 0 ? tf.regularizers.l1l2({ l1, l2 }) : undefined;
}

/** A positive integer, or a tuple of `n` of them (kernel sizes, strides, dilation rates, pool sizes). */
const intOrTupleSchema = (n: number, description: string) => ({
  type: ['integer', 'array'],
  minimum: 1,
  items: { type: 'integer', minimum: 1 },
  minItems: n,
  maxItems: n,
  description: `${description}: an integer${n > 1 ? `, or ${n} integers (one per spatial axis)` : ''}`,
});
/** An integer or one integer per spatial axis. */
export type IntOrTuple<N extends 1 | 2> = number | (N extends 1 ? [number] : [number, number]);
/** An int-or-tuple option with a default. */
export const intOrTuple = <N extends 1 | 2>(n: N, description: string, def: number) => {
  const { description: d, ...s } = intOrTupleSchema(n, description);
  return custom<IntOrTuple<N>>()({ ...s, default: def, description: d });
};
/** An int-or-tuple option without a default, required or optional. */
export const intOrTupleRequired = <N extends 1 | 2>(n: N, description: string) => custom<IntOrTuple<N>>()({ ...intOrTupleSchema(n, description), required: true as const });
export const intOrTupleOptional = <N extends 1 | 2>(n: N, description: string) => custom<IntOrTuple<N>>()(intOrTupleSchema(n, description));

export const padding = oneOf(['valid', 'same'], {
  default: 'valid',
  description: 'valid: no padding; same: pad so that the output has ceil(input / strides) positions',
});

export const useBias = bool({ default: true, description: 'Whether the layer adds a bias vector' });

export const units = (description = 'Number of output units') => int({ minimum: 1, description, required: true });

/** Options shared by conv1d and conv2d; `rank` is the number of spatial axes (1 or 2). */
export const convOptions = <N extends 1 | 2>(rank: N) =>
  opts({
    filters: int({ minimum: 1, description: 'Number of output channels', required: true }),
    kernelSize: intOrTupleRequired(rank, rank === 1 ? 'Length of the convolution window' : 'Size of the convolution window'),
    strides: intOrTuple(rank, 'Step of the window', 1),
    padding,
    dilationRate: intOrTuple(rank, 'Dilation of the window', 1),
    activation: activation('linear'),
    useBias,
    kernelInitializer: initializerOption('glorotUniform', 'Initialiser of the kernel (seeded from the spec seed)'),
    kernelRegularizer: regularizerOption('kernel'),
  });
export type ConvOptions = Options<ReturnType<typeof convOptions<1 | 2>>>;

/** tfjs conv layer arguments from validated conv options (seeded kernel initialiser). */
export function convArgs(a: ConvOptions, ctx: { name: string; nextSeed(): number }) {
  return {
    name: ctx.name,
    filters: a.filters,
    kernelSize: a.kernelSize,
    strides: a.strides,
    padding: a.padding,
    dilationRate: a.dilationRate,
    activation: a.activation,
    useBias: a.useBias,
    kernelInitializer: initializer(a.kernelInitializer, 'glorotUniform', ctx.nextSeed()),
    kernelRegularizer: regularizer(a.kernelRegularizer),
  };
}
