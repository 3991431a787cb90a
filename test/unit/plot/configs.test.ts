// Every config in configs/ drawn in every format: SVG naming every layer and task with each text inside
// its box, PNG of the asked size and not blank, DOT accepted by a system Graphviz (when installed),
// Mermaid structure, and the JSON graph equal to the model's own layers and connections (its config).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useBackend } from '../../helpers/backend';
import { specGraph } from '../../../src/plot/spec-graph';
import { buildModel } from '../../../src/model/build';
import { plotBytes } from '../../../src/plot/render';
import { summarize } from '../../../src/plot/summary';
import type { PlotGraph } from '../../../src/plot/graph';
import { validateSpecFile } from '../../../src/spec/validate';
import { assertMermaid, assertTextsFit, assertWellFormed, inkedPixels, svgTexts } from './checks';

const root = path.resolve(__dirname, '../../../..');
const configs = fs.readdirSync(path.join(root, 'configs')).filter((f) => f.endsWith('.yaml')).sort();
const hasDot = spawnSync('dot', ['-V']).status === 0;

before(async () => {
  await useBackend('cpu');
});

/** Layer connections from the model's serialised config (Keras' inbound_nodes), not from the plot code. */
function configEdges(config: { layers: Array<{ name: string; inboundNodes: unknown[][] }> }): string[] {
  const edges = new Set<string>();
  for (const l of config.layers) for (const call of l.inboundNodes) for (const inbound of call as unknown[][]) edges.add(`${inbound[0]} -> ${l.name}`);
  return [...edges].sort();
}

async function checkAllFormats(file: string, opts: { dpi: number; collapse?: boolean }, also?: (built: ReturnType<typeof buildModel>) => void): Promise<PlotGraph> {
  const spec = validateSpecFile(file);
  const built = buildModel(spec.resolved);
  try {
    const graph = specGraph(spec.resolved, built.model, built.groups, opts);
    const layers = built.model.layers.map((l) => l.name);
    if (!opts.collapse) {
      const json = JSON.parse((await plotBytes(graph, 'json')) as string) as PlotGraph;
      assert.deepEqual(json.nodes.map((n) => n.id).sort(), [...layers].sort());
      const config = built.model.getConfig() as unknown as { layers: Array<{ name: string; inboundNodes: unknown[][] }> };
      assert.deepEqual(json.edges.map((e) => `${e.from} -> ${e.to}`).sort(), configEdges(config));
    }
    const svg = (await plotBytes(graph, 'svg', { showShapes: true })) as string;
    assertWellFormed(svg);
    const texts = new Set(svgTexts(svg));
    for (const n of graph.nodes) assert.ok(texts.has(n.label), `${file}: layer ${n.label}`);
    for (const t of built.taskNames) assert.ok(texts.has(t), `${file}: task ${t}`);
    assert.equal(assertTextsFit(svg), graph.nodes.length + built.taskNames.length);
    const width = Number(/<svg [^>]*width="(\d+)"/.exec(svg)![1]);
    const png = inkedPixels((await plotBytes(graph, 'png', { showShapes: true, dpi: opts.dpi })) as Buffer);
    assert.equal(png.width, Math.round((width * opts.dpi) / 72));
    assert.ok(png.inked > 0.01 * png.width * png.height, `${file}: PNG not blank`);
    const dot = (await plotBytes(graph, 'dot', { showShapes: true })) as string;
    if (hasDot) {
      const r = spawnSync('dot', ['-Tsvg', '-o', '/dev/null'], { input: dot, encoding: 'utf8' });
      assert.equal(r.status, 0, `${file}: system dot: ${r.stderr}`);
      assert.ok(!/error/i.test(r.stderr), r.stderr);
    }
    const mmd = assertMermaid((await plotBytes(graph, 'mmd')) as string);
    assert.equal(mmd.nodes.size, graph.nodes.length + built.taskNames.length);
    assert.equal(mmd.edges.length, graph.edges.length + built.taskNames.length);
    also?.(built);
    return graph;
  } finally {
    built.model.dispose();
  }
}

for (const f of configs.filter((c) => c !== 'seed-resnet-two-heads.yaml')) {
  test(`configs/${f}: every format`, async () => {
    await checkAllFormats(path.join(root, 'configs', f), { dpi: 48 });
  });
}

test('configs/seed-resnet-two-heads.yaml: ResNet-50 in every format; --collapse draws it as one box; summary counts as Keras', async () => {
  const file = path.join(root, 'configs', 'seed-resnet-two-heads.yaml');
  const g = await checkAllFormats(file, { dpi: 24, collapse: true }, (built) => {
    const s = summarize(built.model, built.groups, built.taskNames);
    // Keras' ResNet50(include_top=False): 23,587,712 parameters, 53,120 of them batch-norm moving
    // statistics (2 · Σ channels of its 53 batch norms); heads 2048·11+11 and 2048·3+3.
    assert.equal(s.groups.shared.params, 23_587_712);
    assert.equal(s.groups.shared.trainable, 23_587_712 - 53_120);
    assert.deepEqual(s.groups.category, { params: 2048 * 11 + 11, trainable: 2048 * 11 + 11 });
    assert.deepEqual(s.groups.age, { params: 2048 * 3 + 3, trainable: 2048 * 3 + 3 });
    assert.equal(s.total.params, 23_587_712 + 22_539 + 6_147);
    assert.equal(s.total.nonTrainable, 53_120);
  });
  const resnet = g.nodes.find((n) => n.className === 'resnet')!;
  assert.equal(resnet.params, 23_587_712);
  assert.equal(resnet.inputShape, '(?, 224, 224, 3)');
  assert.equal(resnet.outputShape, '(?, 7, 7, 2048)');
  assert.deepEqual(g.nodes.map((n) => n.id), ['image', 'shared_1_resnet', 'shared_2_globalAveragePooling2d', 'shared_3_activation', 'shared_4_dropout', 'category', 'age']);
});
