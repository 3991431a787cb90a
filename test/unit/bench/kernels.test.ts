// Tests the bench's "before" mode (bench/kernels.ts): with tfjs-backend-wasm's own kernels put back, a
// quickstart training step runs (mtl's one-kernel dense layers hand the products rank-2 operands, which
// tfjs's kernels do not read) and moves the weights as mtl's kernels do, within rounding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepOriginalKernels, useKernels } from '../../../bench/kernels';
import { workload } from '../../../bench/workload';
import { selectBackend } from '../../../src/backend/select';

describe("the bench's before mode (tfjs-backend-wasm's own kernels)", () => {
  it('trains a quickstart step, the weights within rounding of the step on mtl\'s kernels', async () => {
    keepOriginalKernels();
    await selectBackend('wasm', { threads: 1 });
    const after: Float32Array[][] = [];
    for (const which of ['tfjs', 'mtl'] as const) {
      useKernels(which);
      const w = await workload('quickstart', 8);
      w.step();
      after.push(w.weights());
      w.dispose();
    }
    const [before, mtl] = after;
    assert.equal(before.length, mtl.length);
    before.forEach((b, i) => {
      const scale = Math.max(...mtl[i].map(Math.abs));
      const diff = Math.max(...b.map((v, j) => Math.abs(v - mtl[i][j])));
      assert.ok(diff <= 1e-4 * scale, `weight ${i}: largest difference ${diff} of ${scale}`);
    });
  });
});
