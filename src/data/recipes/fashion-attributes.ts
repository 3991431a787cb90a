// Owns the `fashion-attributes` data recipe: one Fashion-MNIST image, three related tasks — category
// (the 10 classes), group (5 coarse garment groups derived from the class) and ink (regression: the
// image's mean pixel intensity in [0, 1]). Data: Fashion-MNIST, Xiao, Rasul & Vollgraf 2017,
// arXiv:1708.07747 (MIT licence).
import { mixSeed } from '../../util/random';
import { chooseItems, dirOption, EMPTY_SET, itemSources, itemsAt, loadFashion, seedOption, sizeOption, type ItemRows } from './fashion-items';
import { int, opts, type Options as OptionsOf } from '../../util/options';
import { dataError } from '../../errors';
import { classNames as fashionClassNames, type FashionSplit } from './multifashion';
import { pixelInputs } from '../files/raw-encoder';
import { readOptions } from '../options';
import type { DataBundle, DataContext, DataDescription, DataDescriptor } from '../types';

/** The coarse groups, by index: what part of the body the item is worn on, or a bag. */
export const groupNames: readonly string[] = ['top', 'bottom', 'full-body', 'footwear', 'bag'];

/**
 * Group of each Fashion-MNIST class (by class index): T-shirt/top, pullover, coat and shirt → top;
 * trouser → bottom; dress → full-body; sandal, sneaker and ankle boot → footwear; bag → bag.
 */
export const GROUP_OF_CLASS: readonly number[] = [0, 1, 0, 2, 0, 3, 0, 3, 4, 3];

const recipeOptions = opts({
  dir: dirOption,
  size: sizeOption,
  trainSize: int({ nullable: true, minimum: 1, default: null, description: 'Number of training images, drawn without repetition (null: the whole training split)' }),
  testSize: int({ nullable: true, minimum: 1, default: null, description: 'Number of test images, drawn without repetition (null: the whole test split)' }),
  seed: seedOption,
});
const schema = recipeOptions.schema;
type Options = OptionsOf<typeof recipeOptions>;

const options = (config: Record<string, unknown>) => readOptions('fashion-attributes', schema, config) as Options;

/** Mean of each item's image (as itemsAt makes it, so the same float sums), a chunk of items at a time. */
function inkOf(split: FashionSplit, idx: Int32Array, size: number): Float32Array {
  const pixels = size * size;
  const ink = new Float32Array(idx.length);
  const CHUNK = 1024;
  for (let from = 0; from < idx.length; from += CHUNK) {
    const image = itemsAt(split, idx.subarray(from, from + CHUNK), size);
    for (let k = 0; k < image.length / pixels; k++) {
      let s = 0;
      for (let p = k * pixels; p < (k + 1) * pixels; p++) s += image[p];
      ink[from + k] = s / pixels;
    }
  }
  return ink;
}

function makeSet(split: FashionSplit, count: number | null, size: number, seed: number, which: 'train' | 'test'): ItemRows {
  if (count !== null && count > split.size) {
    throw dataError([{ where: { path: `data.${which}Size` }, message: `the ${which} split has only ${split.size} images`, received: count, allowed: `1..${split.size}, or null for all` }]);
  }
  const idx = chooseItems(split.size, count ?? undefined, seed);
  const category = Int32Array.from(idx, (i) => split.labels[i]);
  return {
    split,
    size,
    images: { image: idx },
    targets: {
      category: { data: category, shape: [] },
      group: { data: Int32Array.from(category, (c) => GROUP_OF_CLASS[c]), shape: [] },
      ink: { data: inkOf(split, idx, size), shape: [1] },
    },
  };
}

export const fashionAttributesData: DataDescriptor = {
  type: 'fashion-attributes',
  description: 'One Fashion-MNIST image (input image); tasks category (10 classes), group (top, bottom, full-body, footwear, bag) and ink (regression: mean pixel intensity)',
  schema,

  describe(config: Record<string, unknown>): DataDescription {
    const o = options(config);
    return {
      inputs: { image: { shape: [o.size, o.size, 1], dtype: 'float32' } },
      targets: {
        category: { type: 'classification', classes: 10 },
        group: { type: 'classification', classes: groupNames.length },
        ink: { type: 'regression', dim: 1 },
      },
      splits: ['train', 'test'],
    };
  },

  /** `mtl predict RUN INPUT`: rows hold the image itself (field image, size×size numbers in [0, 1], or a uint8 idx/npy row of 0–255 pixels); labels are not read. */
  predictEncoding: (config) => ({ inputs: pixelInputs(fashionAttributesData.describe(config).inputs), classNames: { category: [...fashionClassNames], group: [...groupNames] } }),

  /** Images are made per batch (fashion-items.ts): the bundle holds batch sources. */
  async create(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle> {
    const o = options(config);
    const seed = o.seed ?? ctx.seed;
    const { dir, train, test } = loadFashion(o.dir, ctx);
    const trainSet = makeSet(train, o.trainSize, o.size, mixSeed(seed, 1), 'train');
    const testSet = makeSet(test, o.testSize, o.size, mixSeed(seed, 2), 'test');
    const sources = itemSources(trainSet, testSet, ctx);
    const counts = `${trainSet.images.image.length} train / ${testSet.images.image.length} test`;
    return { train: EMPTY_SET, ...(sources.val ? { val: EMPTY_SET } : {}), test: EMPTY_SET, sources, source: `${dir} (Fashion-MNIST attributes, ${o.size}×${o.size}, ${counts})` };
  },
};
