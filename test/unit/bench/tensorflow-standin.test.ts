// Tests that the tensorflow backend's path through mtl and the bench works as it is, with a stand-in
// for @tensorflow/tfjs-node (whose libtensorflow binary cannot be downloaded on these machines): a
// package of that name, found through NODE_PATH, that registers tfjs's cpu kernels under the backend
// name 'tensorflow'. (The real library, built from a local TensorFlow wheel, was run by hand:
// bench/tfjs-node-from-wheel.sh and docs/testing.md.) The stand-in computes what the cpu backend computes, so a run on it must give
// the cpu run's numbers exactly, while metrics.json names tfjs-node as what ran.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { packageRoot } from '../../../src/util/paths';
import { TINY_SPEC } from '../../helpers/tiny';

const root = packageRoot();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-tfjs-node-standin-'));
const pkg = path.join(tmp, 'node_modules', '@tensorflow', 'tfjs-node');
fs.mkdirSync(pkg, { recursive: true });
fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '0.0.0-standin', main: 'index.js' }));
fs.writeFileSync(
  path.join(pkg, 'index.js'),
  `const tf = require('@tensorflow/tfjs');
   const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');
   // binding: what the real backend exposes (TF_Version), plus TensorFlow's thread setting when it started.
   tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { binding: { TF_Version: '0.0.0-standin-tf', intraOpAtStart: process.env.TF_NUM_INTRAOP_THREADS ?? null } }), 1);
   for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });\n`,
);
// The stand-in first, then mtl's own node_modules, so that both load the one copy of tfjs.
const env = { ...process.env, NODE_PATH: [path.join(tmp, 'node_modules'), path.join(root, 'node_modules')].join(path.delimiter) };
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function node(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

describe('tensorflow backend (tfjs-node stand-in)', () => {
  it('the bench measures training throughput on it unchanged', () => {
    const line = node([path.join(root, 'dist/bench/child.js'), 'throughput', JSON.stringify({ config: 'quickstart', batch: 8, backend: 'tensorflow', steps: 2 })]);
    const r = JSON.parse(line.trim().split('\n').pop()!) as { backend: string; batch: number; samplesPerSecond: number; stepMs: number };
    assert.equal(r.backend, 'tensorflow');
    assert.equal(r.batch, 8);
    assert.ok(r.stepMs > 0 && Math.abs(r.samplesPerSecond - (1000 * 8) / r.stepMs) < 1e-6 * r.samplesPerSecond);
  });

  it('mtl train --backend tensorflow records tfjs-node and gives the cpu backend’s numbers', () => {
    fs.writeFileSync(path.join(tmp, 'tiny.yaml'), `${TINY_SPEC}train: {epochs: 2, batchSize: 4}\n`);
    const runs: Array<{ run: { backend: { name: string; package: string; version: string | null; libtensorflow: string | null } }; test?: unknown }> = [];
    for (const backend of ['tensorflow', 'cpu']) {
      node([path.join(root, 'bin/mtl.js'), 'train', 'tiny.yaml', '--backend', backend, '--out', `run-${backend}`, '--no-progress'], tmp);
      runs.push(JSON.parse(fs.readFileSync(path.join(tmp, `run-${backend}`, 'metrics.json'), 'utf8')));
    }
    assert.deepEqual(runs[0].run.backend.name, 'tensorflow');
    assert.equal(runs[0].run.backend.package, '@tensorflow/tfjs-node');
    assert.equal(runs[0].run.backend.version, '0.0.0-standin');
    assert.equal(runs[0].run.backend.libtensorflow, '0.0.0-standin-tf');
    assert.equal(runs[1].run.backend.version, null);
    assert.equal(runs[1].run.backend.libtensorflow, null);
    assert.equal(runs[1].run.backend.name, 'cpu');
    const numbers = (m: object) => JSON.stringify(m, (k, v) => (['run', 'wallTime', 'samplesPerSecond'].includes(k) ? undefined : v));
    assert.equal(numbers(runs[0]), numbers(runs[1]));
  });

  it("threads: set as TensorFlow's thread pools before the backend starts, recorded with both versions", () => {
    const select = path.join(root, 'dist/src/backend/select.js');
    const script = `const tf = require('@tensorflow/tfjs'); const select = require(${JSON.stringify(select)});
      select.selectBackend('tensorflow', { threads: 3 }).then((info) => console.log(JSON.stringify({
        threads: info.threads, version: info.version, libtensorflow: info.libtensorflow, atStart: tf.backend().binding.intraOpAtStart,
        interOp: process.env.TF_NUM_INTEROP_THREADS, label: select.backendLabel(info), described: select.describeBackend(info) })));`;
    const out = JSON.parse(node(['-e', script]).trim()) as Record<string, unknown>;
    assert.deepEqual(out, {
      threads: 3,
      version: '0.0.0-standin',
      libtensorflow: '0.0.0-standin-tf',
      atStart: '3',
      interOp: '3',
      label: 'tensorflow (libtensorflow 0.0.0-standin-tf), 3 threads',
      described: 'tensorflow (@tensorflow/tfjs-node 0.0.0-standin, libtensorflow 0.0.0-standin-tf, CPU; unavailable: @tensorflow/tfjs-node-gpu)',
    });
  });
});
