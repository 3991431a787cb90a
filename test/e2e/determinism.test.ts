// Same seed, same backend → identical training metrics; another seed → different ones.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { EpochRecord } from '../../src/train/events';
import { train } from '../../src/train/loop';
import { packageRoot } from '../../src/util/paths';

const TINY = path.join(packageRoot(), 'test/fixtures/specs/tiny.yaml');

/** What must repeat: everything but the clock. */
const strip = (epochs: EpochRecord[]) => epochs.map(({ wallTime, samplesPerSecond, ...rest }) => rest);

async function run(specFile: string, backend: 'cpu' | 'wasm') {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-det-')), 'run');
  return train(specFile, { out, backend });
}

describe('seed determinism', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`two runs with the same seed give identical metrics (${backend})`, async () => {
      const a = await run(TINY, backend);
      const b = await run(TINY, backend);
      assert.equal(a.backend.name, backend);
      assert.deepEqual(strip(b.epochs), strip(a.epochs));
      assert.deepEqual(b.test, a.test);
    });
  }

  it('a different seed gives different metrics', async () => {
    const other = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-det-')), 'seed8.yaml');
    fs.writeFileSync(other, fs.readFileSync(TINY, 'utf8').replace('seed: 7', 'seed: 8'));
    const a = await run(TINY, 'cpu');
    const b = await run(other, 'cpu');
    assert.notDeepEqual(strip(b.epochs), strip(a.epochs));
  });
});
