// End to end, as a user runs it: two tiny trainings (one with per-step gradient diagnostics), then
// compare, plot-metrics and report on their run folders.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { packageRoot } from '../../src/util/paths';

const root = packageRoot();

function mtl(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/mtl.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('after training: compare, plot-metrics, report', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-after-'));
  const tiny = fs.readFileSync(path.join(root, 'test/fixtures/specs/tiny.yaml'), 'utf8');
  const pcgradSpec = path.join(dir, 'tiny-pcgrad.yaml');
  fs.writeFileSync(pcgradSpec, tiny.replace('name: tiny', 'name: tiny-pcgrad') + 'weighting: {method: pcgrad, diagnostics: {every: 1}}\n');
  const base = path.join(dir, 'base');
  const pc = path.join(dir, 'pcgrad');

  it('trains the two runs', () => {
    for (const [spec, out] of [[path.join(root, 'test/fixtures/specs/tiny.yaml'), base], [pcgradSpec, pc]]) {
      const r = mtl(['train', spec, '--out', out, '--backend', 'wasm', '--no-progress']);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it('compare prints both runs with the test metrics of metrics.json and Δm% against the baseline', () => {
    const r = mtl(['compare', pc, '--baseline', base, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    const m = JSON.parse(fs.readFileSync(path.join(pc, 'metrics.json'), 'utf8'));
    assert.deepEqual(c.rows.map((row: { name: string }) => row.name), ['base', 'pcgrad']);
    assert.equal(c.rows[1].tasks.left.accuracy.mean, m.test.tasks.left.accuracy);
    assert.equal(c.rows[1].tasks.right['top-3-accuracy'].mean, m.test.tasks.right['top-3-accuracy']);
    assert.equal(c.rows[1].epochs.mean, 2);
    assert.equal(c.rows[1].backend, 'wasm');
    assert.equal(c.rows[0].deltaM.value, 0);
    assert.equal(c.rows[1].deltaM.terms.length, 3, 'left accuracy, right accuracy and top-3-accuracy');
  });

  it('plot-metrics draws the gradient panels from the step lines into a PNG', () => {
    const file = path.join(dir, 'curves.png');
    const r = mtl(['plot-metrics', base, pc, '-o', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /written: .*curves\.png \(8 panels; tasks: left, right\)/);
    const png = PNG.sync.read(fs.readFileSync(file));
    assert.ok(png.width > 1000 && png.height > 800, `${png.width}×${png.height}`);
  });

  it('train --seeds 2: two distinct runs in one folder; compare gives their mean ± sample std', () => {
    const group = path.join(dir, 'seeds');
    const r = mtl(['train', path.join(root, 'test/fixtures/specs/tiny.yaml'), '--seeds', '2', '--out', group, '--backend', 'wasm', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    const index = JSON.parse(fs.readFileSync(path.join(group, 'seeds.json'), 'utf8'));
    assert.deepEqual(index.seeds, [7, 8], 'the spec seed and the next');
    const [a, b] = index.runs.map((f: string) => JSON.parse(fs.readFileSync(path.join(group, f, 'metrics.json'), 'utf8')));
    assert.deepEqual([a.run.seed, b.run.seed], [7, 8]);
    assert.notEqual(a.test.tasks.left.loss, b.test.tasks.left.loss, 'different seeds, different runs');
    const c = JSON.parse(mtl(['compare', group, '--json']).stdout);
    const s = c.rows[0].tasks.left.loss;
    // n = 2: mean (a + b)/2, sample std |a − b|/√2
    assert.ok(Math.abs(s.mean - (a.test.tasks.left.loss + b.test.tasks.left.loss) / 2) < 1e-12);
    assert.ok(Math.abs(s.std - Math.abs(a.test.tasks.left.loss - b.test.tasks.left.loss) / Math.SQRT2) < 1e-12);
    assert.equal(s.n, 2);
  });

  it('train --single-task: one run per task whose head matches the multi-task head; usable as the Δm% baseline', () => {
    const st = path.join(dir, 'single');
    const r = mtl(['train', path.join(root, 'test/fixtures/specs/tiny.yaml'), '--single-task', '--out', st, '--backend', 'wasm', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    const layers = (run: string) => {
      const t = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints/best/model.json'), 'utf8')).modelTopology;
      return (t.model_config ?? t).config.layers as Array<{ class_name: string; config: { name: string; units?: number; activation?: string } }>;
    };
    const multi = layers(base);
    for (const task of ['left', 'right']) {
      const own = layers(path.join(st, `task-${task}`));
      const other = task === 'left' ? 'right' : 'left';
      assert.ok(!own.some((l) => l.config.name === other), `no ${other} head in the ${task} model`);
      const head = (ls: typeof own) => ls.filter((l) => l.config.name === task || l.config.name.startsWith(`${task}_`)).map((l) => [l.class_name, l.config.units, l.config.activation]);
      assert.deepEqual(head(own), head(multi));
      assert.deepEqual(own.filter((l) => l.config.name.startsWith('shared_')).map((l) => l.class_name), multi.filter((l) => l.config.name.startsWith('shared_')).map((l) => l.class_name));
      const m = JSON.parse(fs.readFileSync(path.join(st, `task-${task}`, 'metrics.json'), 'utf8'));
      assert.deepEqual(Object.keys(m.tasks), [task]);
    }
    const c = JSON.parse(mtl(['compare', base, '--baseline', st, '--json']).stdout);
    assert.equal(c.rows[0].singleTask, true);
    const left = JSON.parse(fs.readFileSync(path.join(st, 'task-left', 'metrics.json'), 'utf8')).test.tasks.left.accuracy;
    assert.equal(c.rows[0].tasks.left.accuracy.mean, left);
    assert.equal(c.rows[1].deltaM.terms.length, 3);
  });

  it('predict: one row per test row whose classes give the accuracy eval measured on the same rows', () => {
    const file = path.join(dir, 'pred.jsonl');
    const r = mtl(['predict', base, '--out', file, '--backend', 'wasm']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^64 rows of the test split, checkpoint best: .* rows\/s\); written: /m);
    const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const m = JSON.parse(fs.readFileSync(path.join(base, 'metrics.json'), 'utf8'));
    assert.equal(rows.length, m.test.samples);
    assert.deepEqual(rows.map((x) => x.row), [...rows.keys()]);
    const hits = (t: string, k: number) => rows.filter((x) => x.tasks[t].top.slice(0, k).some((c: { class: number }) => c.class === x.tasks[t].label)).length / rows.length;
    assert.equal(hits('left', 1), m.test.tasks.left.accuracy);
    assert.equal(hits('right', 1), m.test.tasks.right.accuracy);
    assert.equal(hits('right', 3), m.test.tasks.right['top-3-accuracy']);
    for (const x of rows) {
      const probs = x.tasks.right.top.map((c: { probability: number }) => c.probability);
      assert.deepEqual(probs, [...probs].sort((a: number, b: number) => b - a), 'top-k most probable first');
      assert.equal(x.tasks.right.class, x.tasks.right.top[0].class);
      assert.equal(x.tasks.right.name, x.tasks.right.top[0].name, 'Fashion-MNIST class names');
    }
    const csv = mtl(['predict', base, '--format', 'csv', '--top-k', '1', '--backend', 'wasm']);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trim().split('\n');
    assert.equal(lines[0], 'row,left.class,left.probability,left.label,right.class,right.probability,right.label');
    assert.equal(lines.length, 65);
    assert.equal(lines[1].split(',')[1], rows[0].tasks.left.name);
    assert.equal(mtl(['predict', base, '--checkpoint', path.join(dir, 'nowhere')]).code, 4);
  });

  it('eval --details on two splits: confusion matrices whose trace gives the accuracy eval measured', () => {
    const r = mtl(['eval', base, '--split', 'val,test', '--details', '--backend', 'wasm', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [val, test] = JSON.parse(r.stdout);
    assert.deepEqual([val.split, test.split], ['val', 'test']);
    for (const rec of [val, test]) {
      for (const t of ['left', 'right']) {
        const d = rec.details[t];
        assert.equal(d.kind, 'classification');
        const trace = d.confusion.reduce((a: number, row: number[], i: number) => a + row[i], 0);
        assert.equal(d.rows, rec.samples);
        assert.ok(Math.abs(trace / d.rows - rec.tasks[t].accuracy) < 1e-12, `${rec.split} ${t}`);
      }
    }
    assert.ok(JSON.parse(fs.readFileSync(path.join(base, 'eval-test.json'), 'utf8')).details.left.perClass.length >= 1);
  });

  it('report inlines the model plot of each run', () => {
    const file = path.join(dir, 'report.html');
    const r = mtl(['report', pc, '--baseline', base, '-o', file]);
    assert.equal(r.code, 0, r.stderr);
    const html = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(html, /model plot unavailable/);
    assert.equal((html.match(/<h2>Run /g) ?? []).length, 2);
    assert.match(html, /shared_1_conv2d/, 'layer names of the model plot');
    assert.match(html, /gradient cosine between tasks/);
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  });
});
