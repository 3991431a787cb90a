// A crf tagging head trained end to end through train() on the intent-slots data: validation accepts
// the (batch, steps, tags) head, the crf-nll loss and the entity metrics come out finite, test
// metrics come from Viterbi paths of the reloaded best checkpoint, and the loss goes down; on wasm
// (the SIMD kernels) hand-set weights give the hand-counted entity metrics and a run resumes exactly.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { tagNames } from '../../src/data/recipes/intent-slots';
import type { ArraySet } from '../../src/data/types';
import { MtlError } from '../../src/errors';
import { evaluateSet, taskRuntimes } from '../../src/eval/evaluate';
import { CRF } from '../../src/layers/crf';
import type { ResolvedSpec } from '../../src/spec/types';
import { validateSpecText } from '../../src/spec/validate';
import { evaluateDetails } from '../../src/train/eval-details';
import { train } from '../../src/train/loop';
import { useBackend } from '../helpers/backend';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-crf-'));

after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('crf head end to end', () => {
  before(() => useBackend('cpu'));

  const slotsSpec = (head: string, loss: string) => `data: {type: intent-slots, trainSize: 64, testSize: 16, maxLength: 12}
inputs:
  tokens: {shape: [12], dtype: int32}
backbone: [{embedding: {inputDim: 189, outputDim: 8}}]
tasks:
  slots:
    type: classification
    head: ${head}
    loss: ${loss}
`;

  it('validation: a crf head may end at (batch, steps, tags); crf-nll needs a crf head', () => {
    assert.doesNotThrow(() => validateSpecText(slotsSpec(`[{crf: {numTags: ${tagNames.length}}}]`, 'crf-nll'), 'ok.yaml'));
    assert.throws(
      () => validateSpecText(slotsSpec(`[{dense: {units: ${tagNames.length}}}]`, 'crf-nll'), 'bad.yaml'),
      (e: unknown) => e instanceof MtlError && e.kind === 'config' && /bad\.yaml:\d+:\d+ tasks\.slots\.loss: loss "crf-nll" needs a head that ends in a crf layer/.test(e.message),
    );
    assert.throws(
      () => validateSpecText(slotsSpec('[{crf: {numTags: 5}}]', 'crf-nll'), 'width.yaml'),
      (e: unknown) => e instanceof MtlError && /head output width/.test(e.message),
    );
  });

  it('trains intent + crf slots and reports entity metrics from Viterbi paths', async () => {
    const file = path.join(dir, 'crf.yaml');
    fs.writeFileSync(
      file,
      `name: crf
seed: 4
data: {type: intent-slots, trainSize: 128, testSize: 32, maxLength: 12}
inputs:
  tokens: {shape: [12], dtype: int32}
backbone:
  - embedding: {inputDim: 189, outputDim: 16}
  - conv1d: {filters: 32, kernelSize: 3, padding: same, activation: relu}
tasks:
  intent:
    type: classification
    head: [{globalMaxPooling1d: }, {dense: {units: 6, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
  slots:
    type: classification
    head: [{crf: {numTags: ${tagNames.length}}}]
    loss: crf-nll
    metrics: [token-accuracy, {type: entity-f1, tags: ${JSON.stringify(tagNames)}}, {type: entity-precision, tags: ${JSON.stringify(tagNames)}}, {type: entity-recall, tags: ${JSON.stringify(tagNames)}}]
train: {epochs: 3, batchSize: 32, stepsPerEpoch: 3, optimizer: {type: adam, learningRate: 0.02}, validation: none}
`,
    );
    const res = await train(file, { backend: 'cpu', out: path.join(dir, 'run') });
    const losses = res.epochs.map((e) => e.train.tasks.slots.loss);
    assert.ok(losses.every(Number.isFinite), `finite crf losses ${losses}`);
    assert.ok(losses[2] < losses[0], `crf loss went down: ${losses}`);
    const test = res.test!.tasks.slots;
    for (const k of ['token-accuracy', 'entity-f1', 'entity-precision', 'entity-recall']) assert.ok(test[k] >= 0 && test[k] <= 1, `${k} = ${test[k]}`);
    // The exact values of the entity metrics on Viterbi paths are checked on hand-set weights below.
    const { 'entity-precision': p, 'entity-recall': r } = test;
    assert.ok(Math.abs(test['entity-f1'] - (p + r > 0 ? (2 * p * r) / (p + r) : 0)) < 1e-12, 'entity-f1 = 2PR/(P+R)');
    assert.ok(test['token-accuracy'] > 0.3, `token accuracy ${test['token-accuracy']} above chance`);
    // eval --details: per-entity-type counts from predict's rows; their micro totals are the metrics.
    const details = (await evaluateDetails(res.runDir, { backend: 'cpu' })).slots;
    assert.equal(details?.kind, 'entities');
    if (details?.kind !== 'entities') return;
    assert.equal(details.sentences, 32);
    assert.equal(details.micro.precision, test['entity-precision']);
    assert.equal(details.micro.recall, test['entity-recall']);
    assert.equal(details.micro.f1, test['entity-f1']);
    const sum = (k: 'gold' | 'predicted' | 'correct') => Object.values(details.perType).reduce((a, s) => a + s[k], 0);
    assert.deepEqual([sum('gold'), sum('predicted'), sum('correct')], [details.micro.gold, details.micro.predicted, details.micro.correct]);
  });

  it('entity metrics on Viterbi paths of hand-set CRF weights: exact P/R/F1 counted by hand', handSetEntityMetrics);
});

const TIMING = new Set(['wallTime', 'samplesPerSecond', 'startedAt', 'endedAt', 'evaluatedAt', 'at', 'runDir', 'spec', 'resumed']);
const strip = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(strip) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !TIMING.has(k)).map(([k, x]) => [k, strip(x)])) : v;
const metricsOf = (run: string) => strip(JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'))) as { epochs: unknown[]; test: unknown };

// On wasm the op and Viterbi run as mtl's SIMD kernels (src/backend/simd/crf*.c).
describe('crf head on wasm', () => {
  before(() => useBackend('wasm'));

  it('entity metrics on Viterbi paths of hand-set CRF weights: exact P/R/F1 counted by hand', handSetEntityMetrics);

  it('two epochs straight equal one epoch and a resumed second', async () => {
    const spec = (epochs: number) => {
      const f = path.join(dir, `resume-${epochs}.yaml`);
      fs.writeFileSync(
        f,
        `name: crf-resume
seed: 6
data: {type: intent-slots, trainSize: 48, testSize: 16, maxLength: 10}
inputs:
  tokens: {shape: [10], dtype: int32}
backbone: [{embedding: {inputDim: 189, outputDim: 8}}]
tasks:
  slots:
    type: classification
    head: [{crf: {numTags: ${tagNames.length}}}]
    loss: crf-nll
    metrics: [token-accuracy, {type: entity-f1, tags: ${JSON.stringify(tagNames)}}]
train: {epochs: ${epochs}, batchSize: 16, optimizer: {type: adam, learningRate: 0.05}}
`,
      );
      return f;
    };
    const [straight, split] = ['straight', 'split'].map((n) => path.join(dir, `wasm-${n}`));
    await train(spec(2), { out: straight, backend: 'wasm' });
    await train(spec(1), { out: split, backend: 'wasm' });
    await train(spec(2), { resume: split, backend: 'wasm' });
    const [a, b] = [metricsOf(straight), metricsOf(split)];
    assert.equal(a.epochs.length, 2);
    assert.deepEqual(b.epochs, a.epochs);
    assert.deepEqual(b.test, a.test);
  });
});

/** Entity metrics on Viterbi paths of hand-set CRF weights: exact P/R/F1 counted by hand. */
function handSetEntityMetrics(): void {
  // Tags and a 5-step vocabulary whose emissions are hand-set (embedding rows, CRF kernel = identity):
  // id 1 → O, 2 → B-PER, 3 → I-PER, 4 → B-LOC, 5 → I-LOC (score 2 each); id 7 is ambiguous (I-PER 1.0,
  // B-LOC 0.9); padding id 0 scores I-LOC 3, so a padded step judged as real would add entities.
  // Transitions 0 except O→I-PER and O→I-LOC = −5: after O, id 7 decodes to B-LOC (greedy: I-PER).
  const TAGS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
  const K = TAGS.length;
  const emit: Record<number, Record<number, number>> = { 0: { 4: 3 }, 1: { 0: 2 }, 2: { 1: 2 }, 3: { 2: 2 }, 4: { 3: 2 }, 5: { 4: 2 }, 6: {}, 7: { 2: 1, 3: 0.9 } };
  const table = Array.from({ length: 8 }, (_, v) => Array.from({ length: K }, (_, k) => emit[v][k] ?? 0));
  const trans = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === 0 && (j === 2 || j === 4) ? -5 : 0)));
  const input = tf.input({ shape: [5], dtype: 'int32', name: 'tokens' });
  const emb = tf.layers.embedding({ inputDim: 8, outputDim: K });
  const crf = new CRF({ numTags: K, name: 'slots' });
  const model = tf.model({ inputs: input, outputs: crf.apply(emb.apply(input)) as tf.SymbolicTensor });
  emb.setWeights([tf.tensor2d(table)]);
  crf.setWeights([tf.eye(K), tf.zeros([K]), tf.tensor2d(trans), tf.zeros([K]), tf.zeros([K])]);
  const P = -1;
  // tokens → gold; Viterbi path (by hand) in the comment.
  const sentences: Array<[number[], string[]]> = [
    [[2, 3, 1, 4, 0], ['B-PER', 'I-PER', 'O', 'B-LOC']], //       B-PER I-PER O B-LOC: 2 right
    [[1, 7, 5, 1, 0], ['O', 'B-LOC', 'I-LOC', 'O']], //           O B-LOC I-LOC O: 1 right (greedy: PER 1-1, LOC 2-2, none right)
    [[1, 1, 2, 0, 0], ['O', 'O', 'O']], //                        O O B-PER: an extra entity
    [[3, 1, 4, 5, 0], ['I-PER', 'O', 'B-LOC', 'I-LOC']], //       I-PER O B-LOC I-LOC: I- without B- both sides, 2 right
    [[4, 5, 5, 1, 1], ['B-PER', 'I-PER', 'I-PER', 'O', 'O']], //  B-LOC I-LOC I-LOC O O: wrong type
    [[2, 3, 3, 1, 0], ['B-PER', 'I-PER', 'O', 'O']], //           B-PER I-PER I-PER O: partial overlap, wrong
    [[2, 5, 1, 1, 0], ['B-PER', 'O', 'O', 'O']], //               B-PER I-LOC O O: PER right, LOC (a type change starts an entity) extra
  ];
  const gold = sentences.flatMap(([, g]) => [...g.map((t) => TAGS.indexOf(t)), ...new Array<number>(5 - g.length).fill(P)]);
  const set: ArraySet = {
    size: sentences.length,
    inputs: { tokens: { data: Int32Array.from(sentences.flatMap(([x]) => x)), shape: [5] } },
    targets: { slots: { data: Int32Array.from(gold), shape: [5], mask: Uint8Array.from(gold.map((g) => (g === P ? 0 : 1))) } },
  };
  const metricsYaml = ['entity-precision', 'entity-recall', 'entity-f1'].map((type) => ({ type, tags: TAGS }));
  const spec = { tasks: { slots: { type: 'classification', head: [], loss: { type: 'crf-nll' }, metrics: [{ type: 'token-accuracy' }, ...metricsYaml], weight: 1 } } };
  // Batches of 4: the seven sentences span two batches; the fourth begins with I-PER right after the
  // third's final B-PER, so joining sentences would merge the two into one entity.
  const m = evaluateSet(model, ['tokens'], taskRuntimes(spec as unknown as ResolvedSpec), set, 4).tasks.slots;
  model.dispose();
  // Gold entities 2+1+1+0+2+1+1 = 8, predicted 2+1+1+1+2+1+2 = 10, right 2+1+0+0+2+0+1 = 6.
  assert.equal(m['entity-precision'], 6 / 10);
  assert.equal(m['entity-recall'], 6 / 8);
  assert.ok(Math.abs(m['entity-f1'] - 2 / 3) < 1e-12, `entity-f1 ${m['entity-f1']} (2·(3/5)(3/4)/(3/5 + 3/4) = 2/3)`);
  // Real tokens 4+4+5+3+4+4+4 = 28, right 4+4+2+2+4+3+3 = 22.
  assert.equal(m['token-accuracy'], 22 / 28);
}
