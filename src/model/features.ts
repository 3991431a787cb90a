// Owns the `features:` block: the spec's inputs combined into one vector for the backbone, the way
// recommender models take their fields (Wide & Deep, Cheng et al. 2016, arXiv:1606.07792; YouTube's
// deep candidate model, Covington et al. 2016, doi:10.1145/2959100.2959190): each categorical input (int32
// ids) looked up in an embedding table of its own with the declared size — a list of ids (a multi-valued
// field) averaged over its real ids (maskedMean) — numeric inputs as they come (scaled by the data:
// normalize), all concatenated in the block's order.
import * as tf from '@tensorflow/tfjs';
import type { PathSeg } from '../errors';
import type { Created } from '../architectures/types';
import type { LayerItem } from '../spec/types';

/** One entry of the block; inputDim is filled from the data's id count when the spec is validated. */
export interface FeatureSpec {
  embedding?: number;
  inputDim?: number;
}

export interface FeatureOps {
  create(item: LayerItem, path: PathSeg[], name: string, group: string): Created;
  applyTo(layer: Created, item: LayerItem, path: PathSeg[], x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor;
}

/** The combined vector (batch, Σ widths): embeddings flattened (one id) or pooled (a list) to (batch, embedding), numbers flattened. */
export function buildFeatures(features: Record<string, FeatureSpec>, sources: Record<string, tf.SymbolicTensor>, ops: FeatureOps): tf.SymbolicTensor {
  const parts = Object.entries(features).map(([name, f]) => {
    const path = ['features', name];
    let x = sources[name];
    if (f.embedding !== undefined) {
      const ids = x;
      const item: LayerItem = { embedding: { inputDim: f.inputDim, outputDim: f.embedding } };
      x = ops.applyTo(ops.create(item, path, `features_${name}_embedding`, 'shared'), item, path, x);
      if ((ids.shape[1] ?? 1) > 1) {
        const mean: LayerItem = { maskedMean: {} };
        x = ops.applyTo(ops.create(mean, path, `features_${name}_mean`, 'shared'), mean, path, [x, ids]);
      }
    }
    if (x.shape.length > 2) {
      const item: LayerItem = { flatten: {} };
      x = ops.applyTo(ops.create(item, path, `features_${name}_flatten`, 'shared'), item, path, x);
    }
    return x;
  });
  if (parts.length === 1) return parts[0];
  const item: LayerItem = { concatenate: {} };
  return ops.applyTo(ops.create(item, ['features'], 'features_concat', 'shared'), item, ['features'], parts);
}
