// Test helper: the pieces a trainStep needs (StepParts) for a spec, and two reference strategies.
import * as tf from '@tensorflow/tfjs';
import { taskRuntimes } from '../../src/eval/evaluate';
import { buildModel, type BuiltModel } from '../../src/model/build';
import { optimizers } from '../../src/optim/optimizers';
import type { ResolvedSpec } from '../../src/spec/types';
import { makeStepParts, type StepOptions, type StepParts } from '../../src/train/step';
import { strategies } from '../../src/weighting/index';
import type { GradientStrategy, WeightingStrategy } from '../../src/weighting/strategy';

const OPTIMIZERS = {
  sgd: { learningRate: 0.1, momentum: 0, nesterov: false, weightDecay: 0 },
  adam: { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
};

/** StepParts for an already built model. */
export function partsFor(built: BuiltModel, spec: ResolvedSpec, strategy: WeightingStrategy, extra: StepOptions = {}, opt: 'sgd' | 'adam' = 'sgd'): StepParts {
  return makeStepParts(built, taskRuntimes(spec).map((t) => t.lossFn), strategy, optimizers.get(opt).create(OPTIMIZERS[opt], undefined), extra);
}

/** StepParts with a freshly built model. */
export function stepParts(spec: ResolvedSpec, strategy: WeightingStrategy, extra: StepOptions = {}, opt: 'sgd' | 'adam' = 'sgd'): StepParts {
  return partsFor(buildModel(spec), spec, strategy, extra, opt);
}

/** Static weighting with the spec's weights. */
export const staticOf = (spec: ResolvedSpec): WeightingStrategy =>
  strategies.get('static').create({}, { taskNames: Object.keys(spec.tasks), taskWeights: Object.values(spec.tasks).map((t) => t.weight), seed: 0 });

/** Sums the task gradients — the update of static weights 1 — counting its calls and the row width it saw. */
export function sumOfGradients(): GradientStrategy & { calls: number; width: number } {
  const s = {
    needs: 'task-gradients' as const,
    calls: 0,
    width: 0,
    combine: ({ grads }: { grads: tf.Tensor2D }) => {
      s.calls++;
      s.width = grads.shape[1];
      return { direction: tf.sum(grads, 0) as tf.Tensor1D, weights: tf.ones([grads.shape[0]]) as tf.Tensor1D };
    },
    variables: () => [],
    weights: () => ({}),
    state: () => null,
    restore() {},
    dispose() {},
  };
  return s;
}
