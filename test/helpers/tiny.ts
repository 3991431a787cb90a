// Test helper: a tiny valid spec and synthetic batches, so unit tests need no data files.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../src/data/batching';
import { validateSpecText } from '../../src/spec/validate';
import type { Spec } from '../../src/spec/types';

export const TINY_SPEC = `name: tiny
seed: 3
data: {type: multifashion, trainSize: 8, testSize: 4}
inputs:
  image: {shape: [36, 36, 1]}
backbone:
  - conv2d: {filters: 2, kernelSize: 5, strides: 3, activation: relu}
  - flatten:
  - dense: {units: 8, activation: relu}
tasks:
  left:
    type: classification
    head: [{dense: {units: 10, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
  right:
    type: classification
    head: [{dense: {units: 10}}]
    loss: {type: sparse-categorical-crossentropy, fromLogits: true}
    metrics: [accuracy]
`;

export function tinySpec(extra = ''): Spec {
  return validateSpecText(TINY_SPEC + extra, 'tiny.yaml');
}

/** A deterministic batch of n examples for the tiny spec. */
export function tinyBatch(n = 6, seed = 1): Batch {
  return {
    size: n,
    inputs: { image: tf.randomUniform([n, 36, 36, 1], 0, 1, 'float32', seed) },
    targets: {
      left: tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 3 + seed) % 10), 'int32'),
      right: tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7 + seed) % 10), 'int32'),
    },
    masks: { left: undefined, right: undefined },
  };
}
