// Tests runtime backend selection: auto falls back past the (absent) native packages to wasm,
// explicit cpu/wasm work, an unavailable 'tensorflow' is a usage error that says how to get it,
// and the one-line description.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../../../src/errors';
import { describeBackend, selectBackend, type BackendInfo } from '../../../src/backend/select';

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

// In this repository's environment the native packages are not installed; elsewhere they may be.
const nativeAbsent = !installed('@tensorflow/tfjs-node-gpu') && !installed('@tensorflow/tfjs-node');

describe('selectBackend', () => {
  it('auto falls back to wasm and records the two failed native tries', { skip: !nativeAbsent && 'a native tfjs package is installed' }, async () => {
    const info = await selectBackend('auto');
    assert.equal(info.name, 'wasm');
    assert.equal(info.package, '@tensorflow/tfjs-backend-wasm');
    assert.equal(info.gpu, false);
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(
      info.tried.map((t) => t.name),
      ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
    );
    for (const t of info.tried) assert.match(t.error, /Cannot find module/);
    // The training kernels are there.
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
    assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'));
  });

  it("'cpu' gives cpu, without the tfjs Node.js banner", async () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      const info = await selectBackend('cpu');
      assert.deepEqual(info, { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, tried: [] });
      assert.equal(tf.getBackend(), 'cpu');
      tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync()); // first write to the cpu backend
    } finally {
      console.warn = original;
    }
    assert.deepEqual(warnings.filter((w) => /TensorFlow\.js in Node\.js/.test(w)), []);
  });

  it("'wasm' gives wasm and tries nothing else", async () => {
    const info = await selectBackend('wasm');
    assert.deepEqual(info, { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, tried: [] });
    assert.equal(tf.getBackend(), 'wasm');
  });

  it("'tensorflow' when unavailable is a usage error that says how to get it", { skip: !nativeAbsent && 'a native tfjs package is installed' }, async () => {
    await assert.rejects(selectBackend('tensorflow'), (e: unknown) => {
      assert.ok(e instanceof MtlError);
      assert.equal(e.kind, 'usage');
      assert.equal(e.exitCode, 2);
      assert.match(e.message, /@tensorflow\/tfjs-node-gpu/);
      assert.match(e.message, /npm install @tensorflow\/tfjs-node-gpu/);
      assert.match(e.message, /internet/);
      assert.match(e.message, /libtensorflow 2\.9\.1/);
      assert.match(e.message, /CUDA 11\.2/);
      assert.match(e.message, /cuDNN 8\.1/);
      return true;
    });
  });
});

describe('describeBackend', () => {
  const base = { gpu: false, tried: [] } as const;
  const cases: Array<[BackendInfo, string]> = [
    [{ ...base, name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', tried: [] }, 'wasm (@tensorflow/tfjs-backend-wasm)'],
    [
      { name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', gpu: true, gpuDevice: 'Tesla T4', tried: [] },
      'tensorflow (@tensorflow/tfjs-node-gpu, GPU: Tesla T4)',
    ],
    [{ name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', gpu: false, tried: [] }, 'tensorflow (@tensorflow/tfjs-node-gpu, CPU)'],
    [
      { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, tried: [{ name: '@tensorflow/tfjs-node', error: 'x' }] },
      'cpu (@tensorflow/tfjs-backend-cpu; unavailable: @tensorflow/tfjs-node)',
    ],
  ];
  for (const [info, want] of cases) {
    it(want, () => assert.equal(describeBackend(info), want));
  }
});
