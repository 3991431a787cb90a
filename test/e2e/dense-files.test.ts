// Issue 14, item 6 end to end: a per-pixel target read from a streamed file whose size differs from the
// head's output grid stops `mtl train` with the file and row, exit 3, before the run folder exists; a
// declared grid the head does not produce is exit 2 at the head's line; a well-formed file trains.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../src/util/paths';

const root = packageRoot();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-dense-files-e2e-'));

function mtl(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/mtl.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** 8 rows of a 4×4 one-channel image, its per-pixel depth (2 × pixel) and mask (pixel > 0.5). */
function writeRows(name: string, edit: (rows: Array<Record<string, unknown>>) => void): void {
  const rows = Array.from({ length: 8 }, (_, i) => {
    const px = (r: number, c: number) => ((i * 16 + r * 4 + c) * 37) % 100 / 100;
    const grid = (f: (v: number) => number) => [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => f(px(r, c))));
    return { image: grid((v) => v).map((row) => row.map((v) => [v])), depth: grid((v) => 2 * v), mask: grid((v) => (v > 0.5 ? 1 : 0)) };
  });
  edit(rows);
  fs.writeFileSync(path.join(dir, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

function spec(name: string, file: string, grid = '[4, 4]'): string {
  fs.writeFileSync(
    path.join(dir, `${name}.yaml`),
    `name: ${name}
seed: 1
data:
  type: files
  inputs:
    image: {field: image, shape: [4, 4, 1]}
  targets:
    depth: {field: depth, type: regression, shape: ${grid}}
    mask: {field: mask, type: classification, classes: 2, shape: [4, 4]}
  train: {format: jsonl, path: ${file}, streaming: true}
inputs:
  image: {shape: [4, 4, 1]}
backbone:
  - conv2d: {filters: 4, kernelSize: 3, padding: same, activation: relu}
tasks:
  depth:
    type: regression
    head: [{conv2d: {filters: 1, kernelSize: 1, padding: same}}]
    loss: mse
  mask:
    type: classification
    head: [{conv2d: {filters: 2, kernelSize: 1, padding: same, activation: softmax}}]
    loss: sparse-categorical-crossentropy
train: {epochs: 1, batchSize: 4, validation: none}
`,
  );
  return `${name}.yaml`;
}

describe('per-pixel targets from a streamed file (issue 14)', () => {
  it('a row whose grid differs from the head output: file and row, exit 3, no run folder', () => {
    writeRows('bad.jsonl', (rows) => {
      rows[4].depth = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    });
    const r = mtl(['train', spec('bad', 'bad.jsonl'), '--out', 'run-bad', '--backend', 'cpu', '--no-progress']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr.trim(), `${path.join(dir, 'bad.jsonl')}:5:1: targets.depth: "depth" holds 9 values (allowed: 16 (shape [4, 4], one per pixel of the head's output grid))`);
    assert.equal(fs.existsSync(path.join(dir, 'run-bad')), false);
  });

  it('a declared grid the head does not produce: exit 2 at the head, no run folder', () => {
    writeRows('ok.jsonl', () => undefined);
    const r = mtl(['train', spec('grid', 'ok.jsonl', '[4, 5]'), '--out', 'run-grid', '--backend', 'cpu', '--no-progress']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^grid\.yaml:\d+:\d+ tasks\.depth\.head\[0\]: head output size does not match the per-pixel target \(received "4×4"; allowed: 4×5/);
    assert.equal(fs.existsSync(path.join(dir, 'run-grid')), false);
  });

  it('well-formed rows train: 8 rows of batch 4 are 2 steps', () => {
    writeRows('ok.jsonl', () => undefined);
    const r = mtl(['train', spec('ok', 'ok.jsonl'), '--out', 'run-ok', '--backend', 'cpu', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'run-ok', 'metrics.json'), 'utf8'));
    assert.equal(m.epochs[0].steps, 2);
  });
});
