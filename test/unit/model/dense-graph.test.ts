// Encoder–decoder graphs for per-pixel tasks: configs/multifashion-dense.yaml builds with U-Net skip
// connections (a decoder concatenates the encoder map of its size) and per-task decoders (`task:` on
// a node makes its layers that task's parameters); wiring and size mistakes are reported by validate.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { buildModel, partitionVariables } from '../../../src/model/build';
import { validateSpecFile, validateSpecText } from '../../../src/spec/validate';
import { packageRoot } from '../../../src/util/paths';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

const inbound = (model: ReturnType<typeof buildModel>['model'], name: string) => {
  const node = model.getLayer(name).inboundNodes[0] as unknown as { inboundLayers: Array<{ name: string }> };
  return node.inboundLayers.map((l) => l.name);
};

describe('dense graph specs', () => {
  it('configs/multifashion-dense.yaml: skip connections, per-pixel outputs, decoders owned by their task', () => {
    const built = buildModel(validateSpecFile(path.join(packageRoot(), 'configs/multifashion-dense.yaml')).resolved);
    const m = built.model;
    assert.deepEqual(m.outputs.map((o) => o.shape), [[null, 10], [null, 10], [null, 36, 36, 3], [null, 36, 36, 1]]);
    // The decoder joins its upsampled map with the encoder's map of the same size (36×36 and 18×18).
    assert.deepEqual(inbound(m, 'shared_segCat1_concatenate'), ['shared_segUp1_2_conv2dTranspose', 'shared_e1_conv2d']);
    assert.deepEqual(inbound(m, 'shared_unmixCat2_concatenate'), ['shared_unmixUp2_conv2dTranspose', 'shared_e2_2_conv2d']);
    assert.equal(built.groups.shared_e1_conv2d, 'shared');
    assert.equal(built.groups.shared_code_2_dense, 'shared');
    assert.equal(built.groups.shared_segUp2_conv2dTranspose, 'segmentation');
    assert.equal(built.groups.shared_unmixUp1_1_conv2d, 'unmix');
    // The shared parameters are the encoder's alone; each decoder's are its task's.
    const parts = partitionVariables(built);
    assert.ok(parts.shared.every((v) => /^shared_(e\d|code)_/.test(v.name)), parts.shared.map((v) => v.name).join(' '));
    assert.ok(parts.heads.segmentation.some((v) => v.name.startsWith('shared_segUp2_')));
    assert.ok(!parts.heads.segmentation.some((v) => v.name.includes('unmix')));
    m.dispose();
  });

  const spec = (nodes: string, seg = '[{conv2d: {filters: 3, kernelSize: 1, activation: softmax}}]', loss = 'sparse-categorical-crossentropy') => `name: d
data: {type: multifashion, dense: true, trainSize: 8, testSize: 4}
inputs:
  image: {shape: [36, 36, 1]}
backbone:
  nodes:
    e1: {layer: {conv2d: {filters: 4, kernelSize: 3, padding: same}}, inputs: [image]}
${nodes}  outputs: [e1, dec]
tasks:
  left: {type: classification, from: e1, head: [flatten, {dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  right: {type: classification, from: e1, head: [flatten, {dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  segmentation: {type: classification, from: dec, head: ${seg}, loss: ${loss}}
  unmix: {type: regression, from: e1, head: [{conv2d: {filters: 1, kernelSize: 1}}], loss: mae}
`;
  const CASES: Array<{ name: string; text: string; line: string; message: RegExp }> = [
    {
      name: 'a node of an unknown task',
      text: spec('    dec: {task: segmentaton, layer: {conv2d: {filters: 4, kernelSize: 3, padding: same}}, inputs: [e1]}\n'),
      line: '    dec:',
      message: /unknown task "segmentaton" \(allowed: left, right, segmentation, unmix\); did you mean "segmentation"\?/,
    },
    {
      name: 'a node reading another task\'s node',
      text: spec('    u: {task: unmix, layer: {conv2d: {filters: 4, kernelSize: 3, padding: same}}, inputs: [e1]}\n    dec: {task: segmentation, layer: {conv2d: {filters: 4, kernelSize: 3, padding: same}}, inputs: [u]}\n'),
      line: '    dec:',
      message: /node "dec" reads "u", a node of task unmix; only nodes of task unmix may read it/,
    },
    {
      name: 'a head reading another task\'s node',
      text: spec('    dec: {task: unmix, layer: {conv2d: {filters: 4, kernelSize: 3, padding: same}}, inputs: [e1]}\n'),
      line: '  segmentation:',
      message: /"dec" is a node of task unmix; only that task's head may read it/,
    },
    {
      name: 'a per-pixel head of the wrong size',
      text: spec('    dec: {task: segmentation, layer: {maxPooling2d: {poolSize: 2}}, inputs: [e1]}\n'),
      line: '  segmentation:',
      message: /head output size does not match the per-pixel target \(received "18×18"; allowed: "36×36 \(one output per pixel\)"/,
    },
    {
      name: 'a flat head for a per-pixel target',
      text: spec('    dec: {task: segmentation, layer: {flatten: {}}, inputs: [e1]}\n', '[{dense: {units: 3, activation: softmax}}]'),
      line: '  segmentation:',
      message: /a per-pixel classification head must end in \(batch, height, width, classes\)/,
    },
    {
      name: 'class weights that do not match the head',
      text: spec('    dec: {task: segmentation, layer: {conv2d: {filters: 4, kernelSize: 3, padding: same}}, inputs: [e1]}\n', undefined, '{type: sparse-categorical-crossentropy, classWeights: [1, 2]}'),
      line: '  segmentation:',
      message: /one class weight per head unit \(received 2; allowed: "3"/,
    },
  ];
  for (const c of CASES) {
    it(`reports ${c.name} at its line`, () => {
      assert.throws(
        () => validateSpecText(c.text, 'd.yaml'),
        (e: unknown) => {
          assert.ok(e instanceof MtlError, String(e));
          assert.equal(e.kind, 'config');
          const p = e.problems[0];
          assert.match(p.message + (p.received !== undefined ? ` (received ${JSON.stringify(p.received)}; allowed: ${JSON.stringify(p.allowed)}` : ''), c.message);
          assert.equal(p.where.line, c.text.split('\n').findIndex((l) => l.startsWith(c.line)) + 1, `${p.where.path}: ${p.message}`);
          return true;
        },
      );
    });
  }

  it('a correct per-pixel spec validates', () => {
    validateSpecText(spec('    dec: {task: segmentation, layer: {conv2d: {filters: 4, kernelSize: 3, padding: same}}, inputs: [e1]}\n'), 'd.yaml');
  });
});
