// crf-nll trains on the WebAssembly backend: every kernel of its forward and backward pass exists
// there, and the loss goes down over a few optimiser steps.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CRF } from '../../../src/layers/crf';
import { crfNllLoss } from '../../../src/losses/crf-nll';
import { useBackend } from '../../helpers/backend';

describe('crf-nll on wasm', () => {
  before(() => useBackend('wasm'));

  it('the loss decreases over a few Adam steps', () => {
    assert.equal(tf.getBackend(), 'wasm');
    const steps = 6;
    const tags = 3;
    const input = tf.input({ shape: [steps, 4] });
    const hidden = tf.layers.dense({ name: 'h', units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: new CRF({ name: 'slots', numTags: tags, seed: 2 }).apply(hidden) as tf.SymbolicTensor });
    const lossFn = crfNllLoss.create({}, { taskType: 'classification', outputDim: tags, taskName: 'slots' });
    const x = tf.randomNormal([8, steps, 4], 0, 1, 'float32', 3);
    // Tags follow the sign of the first feature, with a B/I structure: learnable by emissions and transitions.
    const first = x.slice([0, 0, 0], [8, steps, 1]).reshape([8, steps]).arraySync() as number[][];
    const y = tf.tensor2d(first.map((r) => r.map((v, t) => (v > 0 ? (t > 0 && r[t - 1] > 0 ? 2 : 1) : 0))), undefined, 'int32');
    const mask = tf.tensor2d(Array.from({ length: 8 }, (_, i) => Array.from({ length: steps }, (_, t) => (t < steps - (i % 3) ? 1 : 0))));
    const opt: tf.Optimizer = tf.train.adam(0.05);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    for (let i = 0; i < 15; i++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(lossFn(y, model.apply(x, { training: true }) as tf.Tensor, { mask, model })) as tf.Scalar, vars);
        for (const v of vars) assert.ok(grads[v.name], `a gradient for ${v.name}`);
        opt.applyGradients(grads);
        losses.push(value.dataSync()[0]);
      });
    }
    const leaked = tf.memory().numTensors - before;
    assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
    assert.ok(losses[14] < losses[0] * 0.7, `loss went from ${losses[0]} to ${losses[14]}`);
    // Adam's slots are created on the first step and live on; nothing else may stay.
    assert.ok(leaked <= 2 * vars.length + 2, `leaked ${leaked} tensors`);
    tf.dispose([x, y, mask]);
    opt.dispose();
    model.dispose();
  });
});
