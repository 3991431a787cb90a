// Tests the layer descriptors: schemas (defaults, required args, unknown keys), output shapes,
// seeded deterministic initialisation, bidirectional recurrent layers and activationOf().
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import Ajv from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { activationOf, layers } from '../../../src/layers/index';
import { initializer } from '../../../src/layers/common';
import type { LayerContext } from '../../../src/layers/types';
import { useBackend } from '../../helpers/backend';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });

/** The config ajv would hand to create(): defaults filled in; throws on an invalid config. */
function fill(type: string, args: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(args);
  const validate = ajv.compile(layers.get(type).schema);
  if (!validate(copy)) throw new Error(ajv.errorsText(validate.errors));
  return copy;
}

const isValid = (type: string, args: unknown): boolean => ajv.validate(layers.get(type).schema, structuredClone(args)) as boolean;

function ctx(name: string, firstSeed = 1): LayerContext {
  let s = firstSeed;
  return { name, nextSeed: () => s++ };
}

function build(type: string, args: Record<string, unknown>, seed = 1, name = `t_${type}`): tf.layers.Layer {
  return layers.get(type).create(fill(type, args), ctx(name, seed)) as tf.layers.Layer;
}

interface ShapeCase {
  type: string;
  args: Record<string, unknown>;
  input: number[];
  output: (number | null)[];
}

const CASES: ShapeCase[] = [
  { type: 'dense', args: { units: 4, activation: 'relu' }, input: [3], output: [null, 4] },
  { type: 'conv1d', args: { filters: 5, kernelSize: 3 }, input: [10, 2], output: [null, 8, 5] },
  { type: 'conv1d', args: { filters: 5, kernelSize: 3, padding: 'same', strides: 2 }, input: [10, 2], output: [null, 5, 5] },
  { type: 'conv2d', args: { filters: 4, kernelSize: 3, activation: 'relu' }, input: [8, 8, 1], output: [null, 6, 6, 4] },
  { type: 'conv2d', args: { filters: 4, kernelSize: [3, 1], strides: [2, 1], padding: 'same' }, input: [8, 8, 1], output: [null, 4, 8, 4] },
  { type: 'conv2d', args: { filters: 2, kernelSize: 3, dilationRate: 2 }, input: [9, 9, 1], output: [null, 5, 5, 2] },
  { type: 'maxPooling1d', args: {}, input: [10, 3], output: [null, 5, 3] },
  { type: 'maxPooling2d', args: { poolSize: 2 }, input: [8, 8, 3], output: [null, 4, 4, 3] },
  { type: 'maxPooling2d', args: { poolSize: 3, strides: 1 }, input: [8, 8, 3], output: [null, 6, 6, 3] },
  { type: 'averagePooling1d', args: { poolSize: 5 }, input: [10, 3], output: [null, 2, 3] },
  { type: 'averagePooling2d', args: { poolSize: [2, 4] }, input: [8, 8, 3], output: [null, 4, 2, 3] },
  { type: 'globalAveragePooling1d', args: {}, input: [10, 3], output: [null, 3] },
  { type: 'globalAveragePooling2d', args: {}, input: [8, 8, 3], output: [null, 3] },
  { type: 'globalMaxPooling1d', args: {}, input: [10, 3], output: [null, 3] },
  { type: 'globalMaxPooling2d', args: {}, input: [8, 8, 3], output: [null, 3] },
  { type: 'flatten', args: {}, input: [4, 4, 2], output: [null, 32] },
  { type: 'dropout', args: { rate: 0.5 }, input: [7], output: [null, 7] },
  { type: 'batchNormalization', args: {}, input: [6], output: [null, 6] },
  { type: 'layerNormalization', args: {}, input: [5, 6], output: [null, 5, 6] },
  { type: 'embedding', args: { inputDim: 20, outputDim: 4 }, input: [7], output: [null, 7, 4] },
  { type: 'lstm', args: { units: 6 }, input: [5, 3], output: [null, 6] },
  { type: 'lstm', args: { units: 6, returnSequences: true }, input: [5, 3], output: [null, 5, 6] },
  { type: 'gru', args: { units: 4, dropout: 0.1, recurrentDropout: 0.1 }, input: [5, 3], output: [null, 4] },
  { type: 'bidirectional', args: { layer: { lstm: { units: 6 } } }, input: [5, 3], output: [null, 12] },
  { type: 'bidirectional', args: { layer: { gru: { units: 4, returnSequences: true } }, mergeMode: 'sum' }, input: [5, 3], output: [null, 5, 4] },
  { type: 'activation', args: { activation: 'softmax' }, input: [5], output: [null, 5] },
  { type: 'reshape', args: { targetShape: [2, 6] }, input: [12], output: [null, 2, 6] },
];

before(() => useBackend('cpu'));

describe('layer registry', () => {
  it('registers all the layer types', () => {
    assert.deepEqual(layers.types().sort(), [
      'activation', 'add', 'average', 'averagePooling1d', 'averagePooling2d', 'batchNormalization', 'bidirectional', 'bilstm', 'concatenate', 'conv1d', 'conv2d', 'conv2dTranspose', 'crf', 'cropping2d', 'dense', 'distance', 'dropout',
      'embedding', 'flatten', 'globalAveragePooling1d', 'globalAveragePooling2d', 'globalMaxPooling1d', 'globalMaxPooling2d', 'gru',
      'layerNormalization', 'lenet', 'lstm', 'maskedMean', 'maxPooling1d', 'maxPooling2d', 'mlp', 'mobilenetV2', 'multiply', 'reshape', 'resnet', 'subtract', 'transformerEncoder', 'upSampling2d', 'zeroPadding2d',
    ]);
  });

  it('has schemas that are JSON, closed, and describe and type every property', () => {
    const check = (s: any, where: string) => {
      assert.equal(s.type, 'object', where);
      assert.equal(s.additionalProperties, false, where);
      for (const [k, p] of Object.entries<any>(s.properties)) {
        assert.ok(p.type, `${where}.${k} has a type`);
        assert.ok(typeof p.description === 'string' && p.description.length > 0, `${where}.${k} has a description`);
        if (p.type === 'object' && p.properties) check(p, `${where}.${k}`);
      }
    };
    for (const d of layers.list()) {
      assert.deepEqual(JSON.parse(JSON.stringify(d.schema)), d.schema, d.type);
      assert.ok(d.description && !d.description.includes('\n'), d.type);
      check(d.schema, d.type);
    }
  });
});

describe('layer output shapes', () => {
  for (const c of CASES) {
    it(`${c.type} ${JSON.stringify(c.args)} on ${JSON.stringify(c.input)}`, () => {
      const layer = build(c.type, c.args);
      assert.equal(layer.name, `t_${c.type}`);
      const out = layer.apply(tf.input({ shape: c.input })) as tf.SymbolicTensor;
      assert.deepEqual(out.shape, c.output);
    });
  }
});

describe('layer schemas', () => {
  it('fill tfjs defaults', () => {
    assert.deepEqual(fill('dense', { units: 3 }), { units: 3, activation: 'linear', useBias: true, kernelInitializer: 'glorotUniform' });
    const c = fill('conv2d', { filters: 2, kernelSize: 3 });
    assert.equal(c.strides, 1);
    assert.equal(c.padding, 'valid');
    const b = fill('bidirectional', { layer: { lstm: { units: 2 } } }) as any;
    assert.equal(b.mergeMode, 'concat');
    assert.equal(b.layer.lstm.recurrentInitializer, 'orthogonal');
    assert.equal(b.layer.lstm.returnSequences, false);
  });

  const invalid: [string, string, unknown][] = [
    ['dense without units', 'dense', {}],
    ['dense with an unknown key', 'dense', { units: 3, unit: 3 }],
    ['dense with units 0', 'dense', { units: 0 }],
    ['dense with an unknown activation', 'dense', { units: 3, activation: 'relu7' }],
    ['conv2d without kernelSize', 'conv2d', { filters: 3 }],
    ['conv2d with a 3-long kernelSize', 'conv2d', { filters: 3, kernelSize: [3, 3, 3] }],
    ['conv2d with padding causal', 'conv2d', { filters: 3, kernelSize: 3, padding: 'causal' }],
    ['conv2d with a regulariser typo', 'conv2d', { filters: 3, kernelSize: 3, kernelRegularizer: { l3: 1 } }],
    ['dense with an unknown initializer', 'dense', { units: 3, kernelInitializer: 'xavier' }],
    ['dropout without rate', 'dropout', {}],
    ['dropout with rate 1', 'dropout', { rate: 1 }],
    ['dropout with rate -0.1', 'dropout', { rate: -0.1 }],
    ['flatten with an argument', 'flatten', { axis: 1 }],
    ['embedding without outputDim', 'embedding', { inputDim: 5 }],
    ['lstm without units', 'lstm', {}],
    ['activation without activation', 'activation', {}],
    ['reshape with a 0', 'reshape', { targetShape: [0, 2] }],
    ['reshape with a -1', 'reshape', { targetShape: [-1, 2] }],
    ['bidirectional without layer', 'bidirectional', {}],
    ['bidirectional with two layers', 'bidirectional', { layer: { lstm: { units: 2 }, gru: { units: 2 } } }],
    ['bidirectional with a dense', 'bidirectional', { layer: { dense: { units: 2 } } }],
    ['bidirectional lstm without units', 'bidirectional', { layer: { lstm: {} } }],
    ['bidirectional with mergeMode max', 'bidirectional', { layer: { lstm: { units: 2 } }, mergeMode: 'max' }],
  ];
  for (const [what, type, args] of invalid) {
    it(`reject ${what}`, () => assert.equal(isValid(type, args), false));
  }

  it('accept a regulariser and the valid edge values', () => {
    assert.ok(isValid('dense', { units: 1, kernelRegularizer: { l2: 1e-4 } }));
    assert.ok(isValid('dropout', { rate: 0 }));
    assert.ok(isValid('conv1d', { filters: 1, kernelSize: [3] }));
  });
});

async function weightsOf(layer: tf.layers.Layer): Promise<number[][]> {
  return Promise.all(layer.getWeights().map(async (w) => Array.from(await w.data())));
}

describe('deterministic initialisation', () => {
  const seeded: [string, Record<string, unknown>, number[]][] = [
    ['dense', { units: 4 }, [3]],
    ['dense', { units: 4, kernelInitializer: 'heNormal' }, [3]],
    ['conv2d', { filters: 2, kernelSize: 3 }, [5, 5, 1]],
    ['embedding', { inputDim: 10, outputDim: 3 }, [4]],
    ['lstm', { units: 3 }, [4, 2]],
    ['gru', { units: 3 }, [4, 2]],
    ['bidirectional', { layer: { lstm: { units: 3 } } }, [4, 2]],
  ];
  for (const [type, args, shape] of seeded) {
    it(`${type} ${JSON.stringify(args)}: same seeds, same weights; other seeds, other weights`, async () => {
      const make = (seed: number) => {
        const l = build(type, args, seed);
        l.apply(tf.input({ shape }));
        return l;
      };
      const a = await weightsOf(make(11));
      const b = await weightsOf(make(11));
      const c = await weightsOf(make(99));
      assert.deepEqual(a, b);
      assert.notDeepEqual(a[0], c[0]);
    });
  }

  for (const shape of [[8, 32], [32, 8], [3, 3, 2, 4], [6, 6]]) {
    it(`computes the orthogonal initialiser like tfjs does, fast (${JSON.stringify(shape)})`, () => {
      const ours = initializer('orthogonal', 'orthogonal', 5).apply(shape);
      const theirs = tf.initializers.orthogonal({ seed: 5 }).apply(shape);
      assert.deepEqual(ours.shape, shape);
      const diff = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0];
      assert.ok(diff < 1e-4, `max difference ${diff}`);
      // Orthonormal rows or columns (whichever are fewer).
      const flat = tf.reshape(ours, [-1, shape[shape.length - 1]]) as tf.Tensor2D;
      const [r, c] = flat.shape;
      const gram = r >= c ? tf.matMul(flat, flat, true, false) : tf.matMul(flat, flat, false, true);
      const offI = tf.max(tf.abs(tf.sub(gram, tf.eye(Math.min(r, c))))).dataSync()[0];
      assert.ok(offI < 1e-5, `|QᵀQ − I| = ${offI}`);
      tf.dispose([ours, theirs, flat, gram]);
    });
  }

  it('builds a 128-unit lstm quickly (orthogonal recurrent kernel)', () => {
    const t0 = Date.now();
    build('lstm', { units: 128 }).apply(tf.input({ shape: [4, 16] }));
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  });

  it('gives the two directions of a bidirectional layer different weights', async () => {
    const l = build('bidirectional', { layer: { lstm: { units: 3 } } });
    l.apply(tf.input({ shape: [4, 2] }));
    const w = await weightsOf(l);
    assert.equal(w.length, 6); // kernel, recurrent kernel, bias per direction
    assert.notDeepEqual(w[0], w[3]);
    assert.notDeepEqual(w[1], w[4]);
  });

  it('maps kernelRegularizer to an l1l2 penalty', () => {
    const l = build('dense', { units: 2, kernelRegularizer: { l2: 0.5 } });
    const input = tf.input({ shape: [3] });
    const model = tf.model({ inputs: input, outputs: l.apply(input) as tf.SymbolicTensor });
    const losses = model.calculateLosses();
    assert.equal(losses.length, 1);
    tf.dispose(losses);
    const none = build('dense', { units: 2, kernelRegularizer: { l1: 0, l2: 0 } });
    none.apply(tf.input({ shape: [3] }));
    assert.equal(none.losses.length, 0);
  });
});

describe('running layers', () => {
  it('runs a bidirectional lstm forward on real data', () => {
    const input = tf.input({ shape: [5, 3] });
    const bi = build('bidirectional', { layer: { lstm: { units: 4, returnSequences: true } } });
    const model = tf.model({ inputs: input, outputs: bi.apply(input) as tf.SymbolicTensor });
    const y = model.predict(tf.ones([2, 5, 3])) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 5, 8]);
    const v = y.arraySync() as number[][][];
    // The backward half at the first step has seen the whole sequence, the forward half one step.
    assert.ok(v.flat(2).every(Number.isFinite));
    assert.notDeepEqual(v[0][0].slice(0, 4), v[0][0].slice(4));
    tf.dispose([y]);
  });

  it('draws a new dropout mask at every call (no fixed seed)', () => {
    const d = build('dropout', { rate: 0.5 });
    assert.equal((d as unknown as { seed?: number }).seed, undefined);
    const x = tf.ones([1, 200]);
    const m1 = Array.from((d.apply(x, { training: true }) as tf.Tensor).dataSync());
    const m2 = Array.from((d.apply(x, { training: true }) as tf.Tensor).dataSync());
    assert.notDeepEqual(m1, m2);
    assert.deepEqual(Array.from((d.apply(x) as tf.Tensor).dataSync()), new Array(200).fill(1));
  });
});

describe('activationOf', () => {
  it('names the activation a layer ends with', () => {
    assert.equal(activationOf('dense', { units: 3, activation: 'softmax' }), 'softmax');
    assert.equal(activationOf('dense', { units: 3 }), 'linear');
    assert.equal(activationOf('conv2d', { filters: 1, kernelSize: 1, activation: 'relu' }), 'relu');
    assert.equal(activationOf('activation', { activation: 'sigmoid' }), 'sigmoid');
    assert.equal(activationOf('lstm', { units: 2 }), 'tanh');
    assert.equal(activationOf('dropout', { rate: 0.1 }), undefined);
    assert.equal(activationOf('flatten', {}), undefined);
    assert.equal(activationOf('flatten', null), undefined);
    assert.equal(activationOf('toString', {}), undefined);
  });
});
