// plot-metrics and report on run folders written by the test: the SVG parses (resvg is a strict XML
// reader) and names every task and series, the PNG has the expected size and is not blank, and the
// HTML report is self-contained and names every task.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { PNG } from 'pngjs';
import { main } from '../../../src/cli/main';
import type { Output } from '../../../src/cli/reporter';
import { reportHtml } from '../../../src/report/html';
import { diagnosticPanels } from '../../../src/report/curves';
import { readRunGroup } from '../../../src/report/runs';
import { writeFixtures, writeRun } from '../../helpers/run-folders';

const quiet: Output = { out: () => {}, err: () => {}, isTTY: false };

/** Text content of every <text> element, entities decoded. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'"));
}

describe('plot-metrics and report', () => {
  const f = writeFixtures();

  it('plot-metrics SVG: well-formed, every task, series and panel named, axes labelled', async () => {
    const file = path.join(f.root, 'curves.svg');
    assert.equal(await main(['plot-metrics', f.single, f.group, '-o', file], quiet), 0);
    const svg = fs.readFileSync(file, 'utf8');
    assert.doesNotThrow(() => new Resvg(svg));
    const texts = svgTexts(svg);
    // One colour legend (a colour per run); line-style legends per panel: training/validation in the
    // task panels, the task in the weight and gradient-norm panels, the task pair in the cosine panel.
    // A seed group draws its first seed's curves, and its legend says so (seeds 11, 12, 13).
    for (const legend of ['single', 'group (seed 11)', 'training', 'validation', 'left', 'right']) assert.ok(texts.includes(legend), legend);
    assert.equal(texts.filter((t) => t === 'group (seed 11)').length, 1, 'the run legend appears once');
    for (const title of ['left: loss', 'left: accuracy', 'right: loss', 'right: rmse', 'task weights (mean over each epoch)', 'gradient cosine between tasks: cos(left, right)']) assert.ok(texts.includes(title), title);
    for (const axis of ['epoch', 'step', 'accuracy', 'rmse', 'weight', 'cosine']) assert.ok(texts.includes(axis), `axis title ${axis}`);
  });

  it('plot-metrics PNG: 2× the SVG size, not blank', async () => {
    const svgFile = path.join(f.root, 'one.svg');
    const pngFile = path.join(f.root, 'one.png');
    assert.equal(await main(['plot-metrics', f.single, '-o', svgFile], quiet), 0);
    assert.equal(await main(['plot-metrics', f.single, '-o', pngFile], quiet), 0);
    const [, w, h] = /<svg[^>]*width="(\d+)" height="(\d+)"/.exec(fs.readFileSync(svgFile, 'utf8'))!.map(Number);
    const png = PNG.sync.read(fs.readFileSync(pngFile));
    assert.equal(png.width, 2 * w);
    assert.equal(png.height, 2 * h);
    let dark = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] + png.data[i + 1] + png.data[i + 2] < 300) dark++;
    // Text, axes and lines: well over 0.5 % of the pixels are dark; a blank or text-less picture is not.
    assert.ok(dark / (png.width * png.height) > 0.005, `dark fraction ${dark / (png.width * png.height)}`);
  });

  it('a file name that is neither .svg nor .png is a usage error', async () => {
    assert.equal(await main(['plot-metrics', f.single, '-o', path.join(f.root, 'x.pdf')], quiet), 2);
  });

  it('gate utilisation of a mixture-of-experts run: one panel per gate, a line per expert, values as recorded', async () => {
    const dir = writeRun(path.join(f.root, 'gated'), { acc: 0.8, leftLoss: 0.5, rmse: 2, rightLoss: 1, epochs: 2 });
    const file = path.join(dir, 'metrics.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    m.epochs[0].gates = { gate_left: { utilisation: [0.5, 0.3, 0.2], normalisedEntropy: 0.94 } };
    m.epochs[1].gates = { gate_left: { utilisation: [0.97, 0.02, 0.01], normalisedEntropy: 0.14, collapsed: 'expert 0 takes 97%' } };
    fs.writeFileSync(file, JSON.stringify(m));
    const panel = diagnosticPanels([readRunGroup(dir)]).find((p) => p.title === 'gate gate_left: expert utilisation');
    assert.ok(panel, 'a panel for the gate');
    const at = (x: number, s: string) => panel.points.find((p) => p.x === x && p.series === s)?.y;
    assert.deepEqual([at(1, 'expert 0'), at(1, 'expert 2'), at(2, 'expert 0'), at(2, 'expert 1')], [0.5, 0.2, 0.97, 0.02]);
    assert.equal(panel.points.length, 6);
    const svgFile = path.join(f.root, 'gated.svg');
    assert.equal(await main(['plot-metrics', dir, '-o', svgFile], quiet), 0);
    const texts = svgTexts(fs.readFileSync(svgFile, 'utf8'));
    for (const t of ['gate gate_left: expert utilisation', 'expert 0', 'expert 2', 'share of gate weight']) assert.ok(texts.includes(t), t);
  });

  it('a step where a task had no labels draws no gradient norm or cosine for it (its 0 entries are placeholders)', () => {
    const dir = writeRun(path.join(f.root, 'absent'), { acc: 0.8, leftLoss: 0.5, rmse: 2, rightLoss: 1, epochs: 1 });
    // Step 0: both tasks; step 1: right unlabelled, written as metrics.jsonl writes it (norm 0, cosine row 0).
    const steps = [
      { type: 'step', epoch: 1, step: 0, weights: { left: 1, right: 1 }, gradNorms: { left: 2, right: 3 }, cosine: [[1, 0.5], [0.5, 1]] },
      { type: 'step', epoch: 1, step: 1, weights: { left: 1, right: 0 }, gradNorms: { left: 4, right: 0 }, cosine: [[1, 0], [0, 0]], present: ['left'] },
    ];
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), steps.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const panels = diagnosticPanels([readRunGroup(dir)]);
    const norms = panels.find((p) => p.title === 'gradient norm ‖g_t‖ over shared parameters')!.points.map((p) => [p.x, p.series, p.y]);
    assert.deepEqual(norms, [[0, 'left', 2], [0, 'right', 3], [1, 'left', 4]]);
    const cosines = panels.find((p) => p.title === 'gradient cosine between tasks')!.points.map((p) => [p.x, p.y]);
    assert.deepEqual(cosines, [[0, 0.5]]);
  });

  it('report: self-contained HTML naming every run and task, with Δm% and the model figure', async () => {
    const html = await reportHtml([readRunGroup(f.group)], { baseline: readRunGroup(f.single), modelFigure: async () => ({ svg: '<?xml version="1.0"?><svg id="a"><text>MODEL-FIGURE</text></svg>' }) });
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\s*(https?:)?\/\//i, 'no network references');
    assert.doesNotMatch(html, /<script|<link\b|@import/i, 'no scripts or external style sheets');
    for (const t of ['left', 'right']) assert.match(html, new RegExp(`<th>${t} accuracy|<th>${t} rmse`));
    assert.match(html, /<th scope="row">group \(3 seeds\)<\/th>/);
    // The runs table: the fixture's seeds 11, 12, 13 trained 1, 2 and 3 epochs, best at their last epoch
    // with val.loss 1 each: one value per seed, not the first seed's alone.
    // The cosine table, like the curves, reads the first seed and says so.
    assert.match(html, /<th scope="row">group \(seed 11\)<\/th><td>1<\/td>/);
    assert.match(html, /<tr><th scope="row">group<\/th><td>11, 12, 13<\/td><td>completed<\/td><td>[^<]*<\/td><td>1, 2, 3<\/td><td>1, 2, 3<\/td><td>val\.loss 1\.0000<\/td>/);
    assert.match(html, /<h2>Δm% against single<\/h2>/);
    assert.match(html, /<td>12\.50<\/td>/);
    assert.match(html, /<svg id="model1-a"><text>MODEL-FIGURE<\/text><\/svg>/, 'model SVG inlined without its prolog, ids prefixed');
    assert.match(html, /accuracy: \{type: accuracy, threshold: 0\.5\}|type: accuracy/, 'the resolved spec is shown');
  });

  it('mtl report writes the page with the real model plot when the run can be rebuilt', async () => {
    const file = path.join(f.root, 'report.html');
    assert.equal(await main(['report', f.single, '-o', file], quiet), 0);
    const html = fs.readFileSync(file, 'utf8');
    // The fixture's config.resolved.yaml is not a full spec: the page says so instead of failing.
    assert.match(html, /model plot unavailable/);
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  });
});
