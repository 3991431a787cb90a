// A crf tagging head trained end to end through train() on the intent-slots data: validation accepts
// the (batch, steps, tags) head, the crf-nll loss and the entity metrics come out finite, test
// metrics come from Viterbi paths of the reloaded best checkpoint, and the loss goes down.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tagNames } from '../../src/data/recipes/intent-slots';
import { MtlError } from '../../src/errors';
import { validateSpecText } from '../../src/spec/validate';
import { train } from '../../src/train/loop';
import { useBackend } from '../helpers/backend';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-crf-'));

describe('crf head end to end', () => {
  before(() => useBackend('cpu'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

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
    metrics: [token-accuracy, {type: entity-f1, tags: ${JSON.stringify(tagNames)}}, {type: entity-precision, tags: ${JSON.stringify(tagNames)}}]
train: {epochs: 3, batchSize: 32, stepsPerEpoch: 3, optimizer: {type: adam, learningRate: 0.02}, validation: none}
`,
    );
    const res = await train(file, { backend: 'cpu', out: path.join(dir, 'run') });
    const losses = res.epochs.map((e) => e.train.tasks.slots.loss);
    assert.ok(losses.every(Number.isFinite), `finite crf losses ${losses}`);
    assert.ok(losses[2] < losses[0], `crf loss went down: ${losses}`);
    const test = res.test!.tasks.slots;
    for (const k of ['token-accuracy', 'entity-f1', 'entity-precision']) assert.ok(test[k] >= 0 && test[k] <= 1, `${k} = ${test[k]}`);
    assert.ok(test['token-accuracy'] > 0.3, `token accuracy ${test['token-accuracy']} above chance`);
  });
});
