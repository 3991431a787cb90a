// Format checks shared by the plot tests: XML well-formedness, texts inside boxes, PNG ink, DOT
// brace balance, Mermaid structure.
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { PAD_X } from '../../../src/plot/view';

const VOID = new Set(['br', 'img', 'hr', 'meta', 'link', 'input']);

/** A small well-formedness check: prolog/comments stripped, every tag closed in order. */
export function assertWellFormed(xml: string): void {
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

export function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

/** Every box: its text lengths never exceed its width less the padding (what "no label overflows" means). */
export function assertTextsFit(svg: string): number {
  let boxes = 0;
  for (const g of svg.matchAll(/<g class="node"[^>]*><rect[^>]* width="([\d.]+)"[^>]*\/>(.*?)<\/g>/g)) {
    boxes++;
    for (const t of g[2].matchAll(/textLength="([\d.]+)"/g)) assert.ok(Number(t[1]) <= Number(g[1]) - 2 * PAD_X + 0.5, `text of ${t[1]} in a box of ${g[1]}`);
  }
  return boxes;
}

/** PNG pixels that differ from white. */
export function inkedPixels(png: Buffer): { width: number; height: number; inked: number } {
  const img = PNG.sync.read(png);
  let inked = 0;
  for (let i = 0; i < img.data.length; i += 4) if (img.data[i] < 250 || img.data[i + 1] < 250 || img.data[i + 2] < 250) inked++;
  return { width: img.width, height: img.height, inked };
}


/** Curly braces outside quoted strings and <…> HTML labels balance, and never go negative. */
export function assertBalanced(dot: string): void {
  let depth = 0;
  let angle = 0;
  let inQuote = false;
  for (let i = 0; i < dot.length; i++) {
    const ch = dot[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
      continue;
    }
    if (angle > 0) {
      if (ch === '<') angle++;
      else if (ch === '>') angle--;
      continue;
    }
    if (ch === '"') inQuote = true;
    else if (ch === '<') angle = 1;
    else if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      assert.ok(depth >= 0, `unbalanced } at ${i}`);
    }
  }
  assert.equal(depth, 0, 'braces balance');
  assert.equal(angle, 0, 'HTML labels close');
  assert.ok(!inQuote, 'quotes close');
}

/** A structure check of a Mermaid flowchart: header, balanced subgraph/end, node ids declared before use. */
export function assertMermaid(mmd: string): { nodes: Map<string, string>; edges: Array<[string, string]>; subgraphs: string[] } {
  const lines = mmd.trimEnd().split('\n');
  assert.match(lines[0], /^flowchart (TB|LR|BT|RL)$/);
  const nodes = new Map<string, string>();
  const edges: Array<[string, string]> = [];
  const subgraphs: string[] = [];
  let depth = 0;
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^subgraph (\w+) \["([^"]*)"\]$/.exec(line))) {
      depth++;
      subgraphs.push(m[2]);
    } else if (line === 'end') {
      depth--;
      assert.ok(depth >= 0, 'end without subgraph');
    } else if ((m = /^(n\d+)(?:\["([^"]*)"\]|\(\["([^"]*)"\]\))$/.exec(line))) {
      assert.ok(!nodes.has(m[1]), `${m[1]} declared once`);
      nodes.set(m[1], m[2] ?? m[3]);
    } else if ((m = /^(n\d+) (?:-->|-\.-) (n\d+)$/.exec(line))) {
      edges.push([m[1], m[2]]);
    } else assert.match(line, /^style n\d+ fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6}[\w:,\- ]*$/, `unexpected line ${JSON.stringify(line)}`);
  }
  assert.equal(depth, 0, 'every subgraph ends');
  for (const [a, b] of edges) assert.ok(nodes.has(a) && nodes.has(b), `edge ${a} → ${b} between declared nodes`);
  return { nodes, edges, subgraphs };
}

