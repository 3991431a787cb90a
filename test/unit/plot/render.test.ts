import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '../../helpers/backend';
import { MtlError } from '../../../src/errors';
import { modelToGraph, type PlotGraph } from '../../../src/plot/graph';
import { toDot } from '../../../src/plot/dot';
import { renderSvg, writePlot, plotFormat } from '../../../src/plot/render';
import { twoHeadModel, twoInputModel } from './models';

before(async () => {
  await useBackend('cpu');
});

const VOID = new Set(['br', 'img', 'hr', 'meta', 'link', 'input']);

/** A small well-formedness check: prolog/comments stripped, every tag closed in order. */
function assertWellFormed(xml: string): void {
  const body = xml
    .replace(/^<\?xml[^?]*\?>/, '')
    .replace(/<!DOCTYPE[^>]*>/, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .trim();
  assert.ok(body.startsWith('<svg'), 'root is <svg>');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(body))) {
    const between = body.slice(last, m.index);
    assert.ok(!/[<>]/.test(between), `stray < or > in text near ${JSON.stringify(between.slice(0, 40))}`);
    assert.ok(!/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(between), 'bare & in text');
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the open tag`);
    else if (!selfClose && !VOID.has(name)) stack.push(name);
  }
  assert.equal(body.slice(last).trim(), '', 'nothing after the root');
  assert.deepEqual(stack, [], 'all tags closed');
}

function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

test('renderSvg: well-formed SVG with every layer and cluster label, fast', async () => {
  const { model, groups } = twoHeadModel();
  const g = modelToGraph(model, groups, { title: 'demo' });
  model.dispose();
  const t0 = Date.now();
  const svg = await renderSvg(toDot(g));
  const ms = Date.now() - t0;
  assert.ok(ms < 5000, `rendered in ${ms} ms`);
  assert.ok(svg.startsWith('<?xml') || svg.startsWith('<svg'));
  assert.ok(svg.includes('</svg>'));
  assertWellFormed(svg);
  const texts = svgTexts(svg);
  for (const n of g.nodes) assert.ok(texts.includes(n.id), `layer ${n.id} in SVG`);
  for (const label of ['shared', 'left', 'right']) assert.ok(texts.includes(label), `cluster ${label}`);
  assert.ok(svg.includes('<title>cluster_task_0</title>'));
  assert.ok(svg.includes('<title>cluster_task_1</title>'));
  assert.ok(svg.includes('<title>cluster_shared</title>'));
});

test('renderSvg: escaped task name renders and stays well-formed', async () => {
  const { model, groups } = twoInputModel('a"<&>b');
  const g = modelToGraph(model, groups);
  model.dispose();
  const svg = await renderSvg(toDot(g));
  assertWellFormed(svg);
  assert.ok(svgTexts(svg).some((t) => t === 'a&quot;&lt;&amp;&gt;b' || t === 'a"&lt;&amp;&gt;b'), 'task label');
});

test('renderSvg: invalid DOT becomes an MtlError', async () => {
  await assert.rejects(renderSvg('digraph { a -> '), (e: unknown) => e instanceof MtlError && e.kind === 'internal');
});

test('writePlot: .dot, .svg, .json written atomically; other extensions are usage errors', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-plot-'));
  try {
    const { model, groups } = twoHeadModel();
    const g = modelToGraph(model, groups);
    model.dispose();

    assert.equal(await writePlot(g, path.join(dir, 'm.dot')), 'dot');
    assert.equal(fs.readFileSync(path.join(dir, 'm.dot'), 'utf8'), toDot(g));
    assert.equal(await writePlot(g, path.join(dir, 'm.dot'), { rankdir: 'LR' }), 'dot');
    assert.match(fs.readFileSync(path.join(dir, 'm.dot'), 'utf8'), /rankdir=LR/);

    assert.equal(await writePlot(g, path.join(dir, 'sub', 'm.SVG')), 'svg');
    const svg = fs.readFileSync(path.join(dir, 'sub', 'm.SVG'), 'utf8');
    assertWellFormed(svg);

    assert.equal(await writePlot(g, path.join(dir, 'm.json')), 'json');
    const back = JSON.parse(fs.readFileSync(path.join(dir, 'm.json'), 'utf8')) as PlotGraph;
    assert.deepEqual(back, g);

    for (const bad of ['m.png', 'm', 'm.dot.txt']) {
      await assert.rejects(writePlot(g, path.join(dir, bad)), (e: unknown) => {
        assert.ok(e instanceof MtlError);
        assert.equal(e.kind, 'usage');
        assert.match(e.message, /\.dot/);
        assert.match(e.message, /\.svg/);
        assert.match(e.message, /\.json/);
        return true;
      });
      assert.ok(!fs.existsSync(path.join(dir, bad)));
    }
    assert.throws(() => plotFormat('x.pdf'), MtlError);
    // No temporary files left behind.
    assert.deepEqual(fs.readdirSync(dir).sort(), ['m.dot', 'm.json', 'sub']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')), ['m.SVG']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
