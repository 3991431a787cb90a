import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '../../helpers/backend';
import { MtlError } from '../../../src/errors';
import { modelToGraph, type PlotGraph } from '../../../src/plot/graph';
import { Resvg } from '@resvg/resvg-js';
import { fontFiles, plotFonts, FONT_FAMILY } from '../../../src/plot/font';
import { writePlot, plotFormat, plotBytes } from '../../../src/plot/render';
import { renderSvg } from '../../../src/plot/svg';
import { plotView } from '../../../src/plot/view';
import { assertTextsFit, assertWellFormed, inkedPixels, svgTexts } from './checks';
import { twoHeadModel, twoInputModel } from './models';

before(async () => {
  await useBackend('cpu');
});


function graph(title?: string): PlotGraph {
  const { model, groups } = twoHeadModel();
  const g = modelToGraph(model, groups, title === undefined ? {} : { title });
  model.dispose();
  g.tasks = [{ name: 'left', loss: 'mse', weight: 'uw', params: 0 }];
  return g;
}

test('font metrics: DejaVu Sans advance widths agree with what resvg draws', () => {
  const f = plotFonts();
  // Closed form: a run of n equal glyphs is n times one glyph.
  assert.ok(Math.abs(f.regular.width('mmmm', 11) - 4 * f.regular.width('m', 11)) < 1e-9);
  assert.ok(f.bold.width('shared_1_conv2d', 11) > f.regular.width('shared_1_conv2d', 11));
  const files = fontFiles();
  for (const [s, bold] of [['shared_feature_2_maxPooling2d', true], ['input: (?, 14, 14, 1)', false], ['MMMMWWWW', false], ['iiiil', true]] as const) {
    const w = (bold ? f.bold : f.regular).width(s, 40);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="60"><text x="10" y="45" font-family="${FONT_FAMILY}" font-size="40"${bold ? ' font-weight="bold"' : ''}>${s}</text></svg>`;
    const r = new Resvg(svg, { font: { loadSystemFonts: false, fontFiles: [files.regular, files.bold], defaultFontFamily: FONT_FAMILY } });
    const bbox = r.getBBox();
    assert.ok(bbox, s);
    // Ink lies inside the advance box, and fills it up to the side bearings (a few % of an em).
    assert.ok(bbox!.width <= w + 1, `${s}: ink ${bbox!.width} ≤ advance ${w}`);
    assert.ok(bbox!.width >= w - 0.25 * 40, `${s}: ink ${bbox!.width} close to advance ${w}`);
  }
});

test('SVG: well-formed, every layer, task and loss, every text inside its box', async () => {
  const g = graph('demo');
  const { svg, width, height } = await renderSvg(plotView(g, { showShapes: true, showDtype: true, showTrainable: true }));
  assertWellFormed(svg);
  assert.match(svg, new RegExp(`<svg [^>]*width="${width}" height="${height}"`));
  const texts = svgTexts(svg);
  for (const n of g.nodes) assert.ok(texts.includes(n.id), `layer ${n.id} in SVG`);
  for (const label of ['shared', 'left', 'right', 'demo', 'loss: mse', 'weighting: uw']) assert.ok(texts.includes(label), label);
  assert.equal(assertTextsFit(svg), g.nodes.length + 1);
  // One path per edge plus the dashed loss link.
  assert.equal((svg.match(/<g class="edge">/g) ?? []).length, g.edges.length + 1);
});

test('SVG: escaped task name renders and stays well-formed', async () => {
  const { model, groups } = twoInputModel('a"<&>b');
  const g = modelToGraph(model, groups);
  model.dispose();
  const { svg } = await renderSvg(plotView(g));
  assertWellFormed(svg);
  assert.ok(svgTexts(svg).includes('a&quot;&lt;&amp;&gt;b'));
});

test('PNG: the size the dpi asks for, and not blank', async () => {
  const g = graph();
  const { width, height } = await renderSvg(plotView(g));
  for (const dpi of [72, 144]) {
    const png = (await plotBytes(g, 'png', { dpi })) as Buffer;
    const img = inkedPixels(png);
    assert.equal(img.width, Math.round((width * dpi) / 72));
    assert.ok(Math.abs(img.height - (height * dpi) / 72) <= 1, `height ${img.height}`);
    assert.ok(img.inked > 0.02 * img.width * img.height, `${img.inked} inked pixels`);
  }
});

test('writePlot: every extension, atomically; others are usage errors', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-plot-'));
  try {
    const g = graph();
    assert.equal(await writePlot(g, path.join(dir, 'm.dot'), { rankdir: 'LR' }), 'dot');
    assert.match(fs.readFileSync(path.join(dir, 'm.dot'), 'utf8'), /rankdir=LR/);
    assert.equal(await writePlot(g, path.join(dir, 'sub', 'm.SVG')), 'svg');
    assertWellFormed(fs.readFileSync(path.join(dir, 'sub', 'm.SVG'), 'utf8'));
    assert.equal(await writePlot(g, path.join(dir, 'm.png')), 'png');
    assert.deepEqual([...fs.readFileSync(path.join(dir, 'm.png')).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.equal(await writePlot(g, path.join(dir, 'm.mmd')), 'mmd');
    assert.match(fs.readFileSync(path.join(dir, 'm.mmd'), 'utf8'), /^flowchart TB\n/);
    assert.equal(await writePlot(g, path.join(dir, 'm.json')), 'json');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'm.json'), 'utf8')), g);
    for (const bad of ['m.gif', 'm', 'm.dot.txt']) {
      await assert.rejects(writePlot(g, path.join(dir, bad)), (e: unknown) => {
        assert.ok(e instanceof MtlError);
        assert.equal(e.kind, 'usage');
        for (const ext of ['.svg', '.png', '.dot', '.mmd', '.json']) assert.ok(e.message.includes(ext), ext);
        return true;
      });
      assert.ok(!fs.existsSync(path.join(dir, bad)));
    }
    assert.throws(() => plotFormat('x.pdf'), MtlError);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['m.dot', 'm.json', 'm.mmd', 'm.png', 'sub']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
