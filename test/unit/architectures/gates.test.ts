// Gate diagnostics (issue 13 item 6) and DSelect-k's entropy regulariser: statistics on hand-made gate
// weights; an mmoe model whose gates are forced to one expert (utilisation exactly one-hot, entropy 0,
// a collapse warning); the regulariser's value on hand-computed smooth-step selectors.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { collapseCheck, GateAccumulator, GATE_COLLAPSE, mixtureGates } from '../../../src/architectures/gates';
import { DSelectKGate } from '../../../src/architectures/units';
import type { ArraySet } from '../../../src/data/types';
import { buildModel } from '../../../src/model/build';
import type { EpochRecord } from '../../../src/train/events';
import { gateDiagnosticsFor } from '../../../src/train/gate-diagnostics';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trainReporter } from '../../../src/cli/reporter';
import { train } from '../../../src/train/loop';
import { useBackend } from '../../helpers/backend';
import { TINY_SPEC, tinySpec } from '../../helpers/tiny';

before(() => useBackend('cpu'));

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

describe('gate statistics', () => {
  it('utilisation, entropy of the utilisation and mean per-example entropy, by hand', () => {
    const acc = new GateAccumulator(2);
    // Two examples, each sure of a different expert: utilisation ½ ½ (entropy ln 2), per-example entropy 0.
    acc.add([1, 0, 0, 1]);
    let s = acc.result();
    assert.deepEqual(s.utilisation, [0.5, 0.5]);
    close(s.entropy, Math.log(2));
    close(s.normalisedEntropy, 1);
    assert.equal(s.exampleEntropy, 0);
    // Two more examples at ¼ ¾: sums (1 + ¼ + ¼, 1 + ¾ + ¾)/4 = (0.375, 0.625).
    acc.add([0.25, 0.75, 0.25, 0.75]);
    s = acc.result();
    close(s.utilisation[0], 0.375);
    close(s.utilisation[1], 0.625);
    close(s.entropy, -(0.375 * Math.log(0.375) + 0.625 * Math.log(0.625)));
    close(s.exampleEntropy, (2 * -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))) / 4);
  });

  it('collapse: one expert above 95 % at once; low entropy only after two epochs in a row', () => {
    const stats = (u: number[]) => {
      const acc = new GateAccumulator(u.length);
      acc.add(u);
      return acc.result();
    };
    assert.match(collapseCheck(stats([0.96, 0.04]), 0).reason ?? '', /expert 1 takes 96\.0 % of the weight/);
    assert.equal(collapseCheck(stats([0.95, 0.05]), 0).reason, undefined, '95 % exactly is not above 95 %');
    // 16 experts at (0.94, 0.06, 0, …): the top is under 95 %, but H = 0.2270 nats, / ln 16 = 0.0819 < 0.1.
    const u = [0.94, 0.06, ...new Array<number>(14).fill(0)];
    const s = stats(u);
    close(s.normalisedEntropy, -(0.94 * Math.log(0.94) + 0.06 * Math.log(0.06)) / Math.log(16));
    assert.ok(s.normalisedEntropy < GATE_COLLAPSE.entropy, `${s.normalisedEntropy}`);
    const first = collapseCheck(s, 0);
    assert.deepEqual(first, { low: 1 });
    assert.match(collapseCheck(s, first.low).reason ?? '', /normalised entropy 0\.\d+ < 0\.1 for 2 epochs/);
    assert.deepEqual(collapseCheck(stats([0.5, 0.5]), 1), { low: 0 }, 'an even epoch resets the count');
    assert.deepEqual(collapseCheck(stats([1]), 5), { low: 0 }, 'one expert: nothing to choose, no warning');
  });
});

describe('gate diagnostics on a model whose gates are forced to one expert', () => {
  it('mmoe: utilisation exactly one-hot, entropy 0, and a warning naming the gate', async () => {
    const spec = tinySpec('architecture: {type: mmoe, experts: 3}\n').resolved;
    const built = buildModel(spec);
    const gates = mixtureGates(built.model);
    assert.deepEqual(gates.map((g) => [g.name, g.experts]), [['left', 3], ['right', 3]]);
    // Kernel 0 and bias (0, 200, 0): softmax = (e^−200, 1, e^−200), and e^−200 is 0 in float32.
    for (const t of ['left', 'right']) {
      const dense = built.model.getLayer(`${t}_gate`);
      const [k] = dense.getWeights();
      dense.setWeights([tf.zerosLike(k), tf.tensor1d([0, 200, 0])]);
    }
    const n = 10;
    const set: ArraySet = {
      size: n,
      inputs: { image: { data: Float32Array.from({ length: n * 36 * 36 }, (_, i) => (i % 17) / 17), shape: [36, 36, 1] } },
      targets: { left: { data: new Int32Array(n), shape: [] }, right: { data: new Int32Array(n), shape: [] } },
    };
    const cb = gateDiagnosticsFor({ built, sets: { train: set }, r: spec })!;
    const rec = { epoch: 1 } as EpochRecord;
    await cb.epochEnd(rec);
    for (const t of ['left', 'right']) {
      const s = rec.gates![t];
      assert.deepEqual(s.utilisation, [0, 1, 0]);
      assert.equal(s.entropy, 0);
      assert.equal(s.exampleEntropy, 0);
    }
    assert.equal(rec.warnings?.length, 2);
    assert.match(rec.warnings![0], /^gate "left" has collapsed at epoch 1: expert 2 takes 100\.0 % of the weight/);
    // The next epoch, still collapsed: recorded on the gate, but no second warning.
    const next = { epoch: 2 } as EpochRecord;
    await cb.epochEnd(next);
    assert.match(next.gates!.left.collapsed ?? '', /^expert 2 takes 100\.0 %/);
    assert.equal(next.warnings, undefined);
    assert.deepEqual(cb.state().collapsed, { left: true, right: true });
    // Training hands each of the record's warnings to the reporter after the epoch line, which prints it.
    const lines: string[] = [];
    const reporter = trainReporter({ out: () => {}, err: (l) => lines.push(l), isTTY: false }, { progress: false, quiet: false, summary: false });
    reporter.warning?.(rec.warnings![0]);
    assert.match(lines[0], /^warning: gate "left" has collapsed at epoch 1/);
    built.model.dispose();
  });

  it('a training run records every gate per epoch in metrics.json (and resumes its counts)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-gates-'));
    const file = path.join(dir, 'spec.yaml');
    fs.writeFileSync(file, TINY_SPEC + 'architecture: {type: dselect-k, experts: 3, k: 2, entropy: 0.01}\ntrain: {epochs: 2, batchSize: 4, validation: 0.5}\n');
    const res = await train(file, { backend: 'cpu', out: path.join(dir, 'run') });
    const m = JSON.parse(fs.readFileSync(path.join(res.runDir, 'metrics.json'), 'utf8'));
    assert.equal(m.epochs.length, 2);
    for (const e of m.epochs) {
      assert.deepEqual(Object.keys(e.gates), ['left', 'right']);
      for (const g of Object.values(e.gates) as Array<{ utilisation: number[]; entropy: number }>) {
        assert.equal(g.utilisation.length, 3);
        close(g.utilisation.reduce((a, b) => a + b, 0), 1);
        close(g.entropy, -g.utilisation.reduce((a, u) => a + (u > 0 ? u * Math.log(u) : 0), 0));
      }
    }
    const state = JSON.parse(fs.readFileSync(path.join(res.runDir, 'checkpoints', 'last', 'state.json'), 'utf8'));
    assert.deepEqual(Object.keys(state.gates.low), ['left', 'right']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('no gates, no callback', () => {
    const spec = tinySpec().resolved;
    const built = buildModel(spec);
    assert.equal(gateDiagnosticsFor({ built, sets: { train: { size: 0, inputs: {}, targets: {} } }, r: spec }), undefined);
    built.model.dispose();
  });
});

describe('DSelect-k entropy regulariser (Hazimeh et al. 2021)', () => {
  /** S(t) of the smooth-step with γ = 1, written out: −2t³ + 3t/2 + ½. */
  const S = (t: number) => -2 * t ** 3 + 1.5 * t + 0.5;
  const h = (r: number[]) => -r.reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0);

  it('λ · mean over the batch of Σ_selectors h(r), on hand-set selectors', () => {
    // 2 experts (one bit), k = 2 selectors; x is one feature; z = x · (0.25, −0.125) (+ bias 0).
    const gate = new DSelectKGate({ experts: 2, k: 2, gamma: 1, entropy: 0.1 });
    const x = tf.input({ shape: [1] });
    const model = tf.model({ inputs: x, outputs: gate.apply(x) as tf.SymbolicTensor });
    const [, zb, ak, ab] = gate.getWeights();
    gate.setWeights([tf.tensor2d([[0.25, -0.125]]), tf.zerosLike(zb), tf.zerosLike(ak), tf.zerosLike(ab)]);
    // Selector i on expert j: bit 0 of j set → S(z_i), else 1 − S(z_i).
    const sel = (z: number) => [1 - S(z), S(z)];
    const xs = [0, 1, 2];
    const perExample = xs.map((v) => h(sel(0.25 * v)) + h(sel(-0.125 * v)));
    const want = (0.1 * perExample.reduce((a, b) => a + b, 0)) / xs.length;
    // by hand: x = 0 → 2 ln 2; x = 1 → h(0.15625, 0.84375) + h(S(−0.125) …) …
    close(perExample[0], 2 * Math.log(2));
    tf.tidy(() => {
      model.apply(tf.tensor2d(xs, [3, 1]), { training: true });
      const losses = model.calculateLosses();
      assert.equal(losses.length, 1);
      close(losses[0].dataSync()[0], want, 1e-5);
    });
    // Inference (predict) leaves the last training batch's value in place; a fresh gate with λ = 0 adds no loss.
    assert.equal(new DSelectKGate({ experts: 2, k: 1 }).losses.length, 0);
    model.dispose();
  });

  it('the regulariser has a gradient that lowers the selectors\' entropy', () => {
    const gate = new DSelectKGate({ experts: 4, k: 1, gamma: 1, entropy: 1 });
    const x = tf.input({ shape: [2] });
    const model = tf.model({ inputs: x, outputs: gate.apply(x) as tf.SymbolicTensor });
    const batch = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const value = () => tf.tidy(() => {
      model.apply(batch, { training: true });
      return model.calculateLosses()[0].dataSync()[0];
    });
    const before = value();
    const opt = tf.train.sgd(0.5);
    for (let i = 0; i < 20; i++) {
      opt.minimize(() => {
        model.apply(batch, { training: true });
        return model.calculateLosses()[0] as tf.Scalar;
      });
    }
    const after = value();
    assert.ok(after < before - 0.1, `${before} → ${after}`);
    model.dispose();
    batch.dispose();
  });
});

describe('mtan attention modules with batch normalisation (Liu et al. 2019)', () => {
  it('each projection is dense → batch norm → activation; batchNorm: false leaves BN out', () => {
    // The tiny trunk has two layers with weights (conv2d, dense): per task two modules of g and h.
    const kinds = (yaml: string) => {
      const built = buildModel(tinySpec(yaml).resolved);
      const names = built.model.layers.filter((l) => l.name.startsWith('left_att')).map((l) => `${l.name}:${l.getClassName()}`);
      built.model.dispose();
      return names;
    };
    const withBn = kinds('architecture: mtan\n');
    assert.deepEqual(withBn.filter((n) => n.startsWith('left_att1_')), [
      'left_att1_g:Dense', 'left_att1_g_bn:BatchNormalization', 'left_att1_g_relu:Activation',
      'left_att1_h:Dense', 'left_att1_h_bn:BatchNormalization', 'left_att1_h_sigmoid:Activation', 'left_att1_apply:Multiply',
    ]);
    assert.equal(withBn.filter((n) => n.endsWith(':BatchNormalization')).length, 4);
    assert.equal(kinds('architecture: {type: mtan, batchNorm: false}\n').filter((n) => n.endsWith(':BatchNormalization')).length, 0);
    // Training two steps and reloading with identical predictions: test/unit/architectures/architectures.test.ts (mtan case, BN on by default).
  });
});
