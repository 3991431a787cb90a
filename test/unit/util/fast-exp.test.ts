// expFast against Math.exp (an independent implementation) over the ranges the fused loops use, and
// its exact points and limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expFast } from '../../../src/util/fast-exp';

describe('expFast', () => {
  it('is within 2e-8 relative of Math.exp from −700 to 700 (a fine grid and random points)', () => {
    let worst = 0;
    const check = (x: number) => {
      const rel = Math.abs(expFast(x) - Math.exp(x)) / Math.exp(x);
      if (rel > worst) worst = rel;
    };
    for (let x = -700; x <= 700; x += 0.01337) check(x);
    let s = 12345;
    for (let i = 0; i < 20000; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      check((s / 2147483648 - 0.5) * 40);
    }
    assert.ok(worst < 2e-8, `worst relative error ${worst}`);
  });

  it('exact points and limits: e^0 = 1, e^1, e^(k·ln 2) = 2^k, 0 below −708, Infinity above 709, NaN', () => {
    assert.equal(expFast(0), 1);
    assert.ok(Math.abs(expFast(1) / Math.E - 1) < 1e-8);
    for (const k of [-20, -1, 1, 10, 100]) assert.ok(Math.abs(expFast(k * Math.LN2) / 2 ** k - 1) < 1e-14, `2^${k}`);
    assert.equal(expFast(-800), 0);
    assert.equal(expFast(-Infinity), 0);
    assert.equal(expFast(710), Infinity);
    assert.ok(Number.isNaN(expFast(NaN)));
  });
});
