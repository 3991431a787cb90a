// Test helper: a tiny valid spec and synthetic batches, so unit tests need no data files.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

/**
 * For resume tests: the tiny spec with `trainSize` examples, dropout after the dense layer (the dropout
 * RNG must carry over) and `rest` (weighting, train, checkpoint), written to `<new temp dir>/<name>.yaml`.
 */
export function resumeSpecFile(name: string, trainSize: number, rest: string): { tmp: string; spec: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `mtl-${name}-`));
  const spec = path.join(tmp, `${name}.yaml`);
  const dropout = TINY_SPEC.replace('trainSize: 8', `trainSize: ${trainSize}`).replace('  - dense: {units: 8, activation: relu}', '  - dense: {units: 8, activation: relu}\n  - dropout: {rate: 0.3}');
  fs.writeFileSync(spec, dropout + rest);
  return { tmp, spec };
}

/** The fields of a run's records that are timings (or where it ran), left out when two runs are compared. */
export const TIMING = new Set(['wallTime', 'samplesPerSecond', 'evaluatedAt', 'runDir']);
