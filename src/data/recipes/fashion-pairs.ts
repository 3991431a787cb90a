// Owns the `fashion-pairs` data recipe: two Fashion-MNIST images per example (the Siamese shape),
// tasks category1 and category2 (each image's class) and same (binary: one class or two), with
// exactly as many same-class pairs as different-class pairs (±1). Data: Fashion-MNIST, Xiao, Rasul &
// Vollgraf 2017, arXiv:1708.07747 (MIT licence).
import { dataError } from '../../errors';
import { mixSeed, mulberry32, randInt, shuffleInPlace } from '../../util/random';
import { dirOption, EMPTY_SET, itemSources, loadFashion, seedOption, sizeOption, type ItemRows } from './fashion-items';
import { int, oneOf, opts, type Options as OptionsOf } from '../../util/options';
import { classNames as fashionClassNames, type FashionSplit } from './multifashion';
import { pixelInputs } from '../files/raw-encoder';
import { readOptions } from '../options';
import type { DataBundle, DataContext, DataDescription, DataDescriptor } from '../types';

const recipeOptions = opts({
  dir: dirOption,
  size: sizeOption,
  trainSize: int({ minimum: 2, default: 6000, description: 'Number of training pairs (half of them same-class)' }),
  testSize: int({ minimum: 2, default: 1000, description: 'Number of test pairs (half of them same-class)' }),
  sameAs: oneOf(['binary', 'classification'] as const, {
    default: 'binary',
    description: 'Task type of `same`: binary (one 0/1 column, a 1-unit sigmoid head) or classification (class 0 different / 1 same, a 2-unit softmax head as in Keras Siamese examples)',
  }),
  seed: seedOption,
});
const schema = recipeOptions.schema;
type Options = OptionsOf<typeof recipeOptions>;

const options = (config: Record<string, unknown>) => readOptions('fashion-pairs', schema, config) as Options;

/**
 * The item indices of `count` pairs and whether each is same-class. The same/different flags are a
 * shuffled list with floor(count/2) ones, so the classes of `same` are balanced by construction; the
 * first item is uniform over the split, the second uniform over the items of the same class (another
 * item when the class has more than one) or of the other classes.
 */
export function drawLabelledPairs(labels: Uint8Array, count: number, seed: number): { first: Int32Array; second: Int32Array; same: Uint8Array } {
  const n = labels.length;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  if (byClass.size < 2) throw dataError([{ where: { path: 'data' }, message: `fashion-pairs needs items of at least two classes; the split has ${byClass.size}` }]);
  const rand = mulberry32(seed);
  const same = new Uint8Array(count);
  same.fill(1, 0, Math.floor(count / 2));
  shuffleInPlace(same, rand);
  const first = new Int32Array(count);
  const second = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const a = randInt(rand, n);
    let b: number;
    if (same[k]) {
      const list = byClass.get(labels[a])!;
      do b = list[randInt(rand, list.length)];
      while (b === a && list.length > 1);
    } else {
      do b = randInt(rand, n);
      while (labels[b] === labels[a]);
    }
    first[k] = a;
    second[k] = b;
  }
  return { first, second, same };
}

function makePairs(split: FashionSplit, count: number, size: number, seed: number, sameAs: Options['sameAs']): ItemRows {
  const { first, second, same } = drawLabelledPairs(split.labels, count, seed);
  return {
    split,
    size,
    images: { image1: first, image2: second },
    targets: {
      category1: { data: Int32Array.from(first, (i) => split.labels[i]), shape: [] },
      category2: { data: Int32Array.from(second, (i) => split.labels[i]), shape: [] },
      same: sameAs === 'binary' ? { data: Float32Array.from(same), shape: [1] } : { data: Int32Array.from(same), shape: [] },
    },
  };
}

export const fashionPairsData: DataDescriptor = {
  type: 'fashion-pairs',
  description: 'Pairs of Fashion-MNIST images (inputs image1, image2); tasks category1 and category2 (10 classes each) and same (binary: same class, balanced)',
  schema,

  describe(config: Record<string, unknown>): DataDescription {
    const o = options(config);
    const image = { shape: [o.size, o.size, 1], dtype: 'float32' as const };
    return {
      inputs: { image1: image, image2: { ...image, shape: [...image.shape] } },
      targets: { category1: { type: 'classification', classes: 10 }, category2: { type: 'classification', classes: 10 }, same: o.sameAs === 'binary' ? { type: 'binary', dim: 1 } : { type: 'classification', classes: 2 } },
      splits: ['train', 'test'],
    };
  },

  /** `mtl predict RUN INPUT`: rows hold the two images (fields image1, image2, size×size numbers in [0, 1], or uint8 idx/npy rows of 0–255 pixels); labels are not read. */
  predictEncoding(config: Record<string, unknown>) {
    const names = [...fashionClassNames];
    return { inputs: pixelInputs(fashionPairsData.describe(config).inputs), classNames: { category1: names, category2: names, ...(options(config).sameAs === 'classification' ? { same: ['different', 'same'] } : {}) } };
  },

  /** Images are made per batch (fashion-items.ts): the bundle holds batch sources. */
  async create(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle> {
    const o = options(config);
    const seed = o.seed ?? ctx.seed;
    const { dir, train, test } = loadFashion(o.dir, ctx);
    const sources = itemSources(makePairs(train, o.trainSize, o.size, mixSeed(seed, 1), o.sameAs), makePairs(test, o.testSize, o.size, mixSeed(seed, 2), o.sameAs), ctx);
    return {
      train: EMPTY_SET,
      ...(sources.val ? { val: EMPTY_SET } : {}),
      test: EMPTY_SET,
      sources,
      source: `${dir} (Fashion-MNIST pairs, ${o.size}×${o.size}, ${o.trainSize} train / ${o.testSize} test)`,
    };
  },
};
