// Owns the optimizers a spec can name and how their learning rate is changed by a schedule.
// Weight decay: coupled L2 (added to the gradient, as torch.optim.SGD/Adam do) for every optimizer
// except adamw, where it is decoupled (Loshchilov & Hutter 2019): θ ← θ − lr·λ·θ after the Adam update.
import * as tf from '@tensorflow/tfjs';
import { component, Registry, type ComponentDef, type ComponentInput, type Descriptor } from '../registry';
import { bool, num, opts } from '../util/options';
import { withWasmAdam } from './wasm-adam';
import { withWasmMomentum } from './wasm-momentum';

export interface OptimizerHandle {
  optimizer: tf.Optimizer;
  setLearningRate(lr: number): void;
  /** Coupled decay adds λθ to the gradient; decoupled shrinks θ after the update. */
  weightDecay: { mode: 'none' | 'coupled' | 'decoupled'; rate: number };
}

export type OptimizerDescriptor = Descriptor<ComponentInput, OptimizerHandle, unknown>;

/** An optimizer with typed options: `create` receives them validated, defaults filled. */
const optimizer = <O>(d: ComponentDef<O, OptimizerHandle, unknown>): OptimizerDescriptor => component(d);

const lr = (def: number) => num({ exclusiveMinimum: 0, default: def, description: 'Learning rate (the schedule scales it)' });
const wd = num({ minimum: 0, default: 0, description: 'Weight decay λ (L2 added to the gradient)' });
const epsilon = num({ exclusiveMinimum: 0, default: 1e-7, description: 'Numerical stability constant' });
const momentum = num({ minimum: 0, maximum: 1, default: 0, description: 'Momentum factor' });

function handle(optimizer: tf.Optimizer, decay: OptimizerHandle['weightDecay']): OptimizerHandle {
  return {
    optimizer,
    weightDecay: decay,
    setLearningRate(value: number) {
      // SGD and momentum cache -lr in a tensor (setLearningRate); the others read this.learningRate per step.
      const o = optimizer as unknown as { setLearningRate?: (v: number) => void; learningRate: number };
      if (typeof o.setLearningRate === 'function') o.setLearningRate(value);
      else o.learningRate = value;
    },
  };
}

const coupled = (rate: number): OptimizerHandle['weightDecay'] => ({ mode: rate > 0 ? 'coupled' : 'none', rate });

export const sgdOptimizer: OptimizerDescriptor = optimizer({
  type: 'sgd',
  description: 'Stochastic gradient descent, with optional (Nesterov) momentum',
  options: opts({
    learningRate: lr(0.01),
    momentum,
    nesterov: bool({ default: false, description: 'Nesterov momentum (needs momentum > 0)' }),
    weightDecay: wd,
  }),
  create(c) {
    const opt = c.momentum > 0 ? withWasmMomentum(tf.train.momentum(c.learningRate, c.momentum, c.nesterov)) : tf.train.sgd(c.learningRate);
    return handle(opt, coupled(c.weightDecay));
  },
});

const adamProps = {
  beta1: num({ minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'Decay of the first-moment estimate' }),
  beta2: num({ minimum: 0, exclusiveMaximum: 1, default: 0.999, description: 'Decay of the second-moment estimate' }),
  epsilon,
};

export const adamOptimizer: OptimizerDescriptor = optimizer({
  type: 'adam',
  description: 'Adam (Kingma & Ba 2015)',
  options: opts({ learningRate: lr(0.001), ...adamProps, weightDecay: wd }),
  create: (c) => handle(withWasmAdam(tf.train.adam(c.learningRate, c.beta1, c.beta2, c.epsilon)), coupled(c.weightDecay)),
});

export const adamwOptimizer: OptimizerDescriptor = optimizer({
  type: 'adamw',
  description: 'Adam with decoupled weight decay (Loshchilov & Hutter 2019)',
  options: opts({
    learningRate: lr(0.001),
    ...adamProps,
    weightDecay: num({ minimum: 0, default: 0.01, description: 'Decoupled weight decay λ' }),
  }),
  create: (c) => handle(withWasmAdam(tf.train.adam(c.learningRate, c.beta1, c.beta2, c.epsilon)), { mode: c.weightDecay > 0 ? 'decoupled' : 'none', rate: c.weightDecay }),
});

export const rmspropOptimizer: OptimizerDescriptor = optimizer({
  type: 'rmsprop',
  description: 'RMSProp (Tieleman & Hinton 2012)',
  options: opts({
    learningRate: lr(0.001),
    rho: num({ minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'Decay of the squared-gradient average' }),
    momentum,
    epsilon,
    centered: bool({ default: false, description: 'Normalise by the estimated variance' }),
    weightDecay: wd,
  }),
  create: (c) => handle(tf.train.rmsprop(c.learningRate, c.rho, c.momentum, c.epsilon, c.centered), coupled(c.weightDecay)),
});

export const adagradOptimizer: OptimizerDescriptor = optimizer({
  type: 'adagrad',
  description: 'Adagrad (Duchi et al. 2011)',
  options: opts({
    learningRate: lr(0.01),
    initialAccumulatorValue: num({ exclusiveMinimum: 0, default: 0.1, description: 'Starting value of the accumulators' }),
    weightDecay: wd,
  }),
  create: (c) => handle(tf.train.adagrad(c.learningRate, c.initialAccumulatorValue), coupled(c.weightDecay)),
});

export const optimizers = new Registry<OptimizerDescriptor>('optimizer')
  .register(sgdOptimizer)
  .register(adamOptimizer)
  .register(adamwOptimizer)
  .register(rmspropOptimizer)
  .register(adagradOptimizer);
