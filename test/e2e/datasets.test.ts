// Each dataset config in configs/ trains for two steps through train() on the cpu backend (wasm where noted; a copy
// with small data and one 2-step epoch), writes its run folder and reports finite test metrics.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { PNG } from 'pngjs';
import { predictRun, type PredictionRow } from '../../src/train/predict';
import { train } from '../../src/train/loop';
import { packageRoot } from '../../src/util/paths';
import { writeFlightsLike } from '../helpers/columnar-files';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-ds-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
// The flights configs read 3 million rows; here 300 rows with the same columns stand in, streamed the same
// way, the test split drawn from them as the configs draw theirs (a larger fraction, so it holds both classes).
const flights = path.join(tmp, 'flights-small.parquet');
writeFlightsLike(flights, 300);
const smallFlights = { train: { format: 'parquet', path: flights, streaming: true }, testFraction: 0.2, shuffleBuffer: 50 };

/** Data options that make each config small; the rest of the spec is the shipped one. */
const SMALL: Record<string, Record<string, unknown>> = {
  'fashion-pairs': { trainSize: 40, testSize: 16 },
  'fashion-attributes': { trainSize: 40, testSize: 16 },
  'multifashion-dense': { trainSize: 40, testSize: 16 },
  cars: {},
  'intent-slots': { trainSize: 40, testSize: 16 },
  movies: {},
  'movies-mmoe': {},
  'movies-embeddings': {},
  flights: smallFlights,
  'flights-mmoe': smallFlights,
  'flights-embeddings': smallFlights,
};

/** tfjs's cpu kernels take about a minute for two steps of the 36×36 encoder–decoder (Conv2DBackpropFilter); wasm about one second. */
const BACKEND: Record<string, 'wasm'> = { 'multifashion-dense': 'wasm' };

/** mtl predict on the dense run: each test row names a 36×36 PNG per per-pixel task, and its gold mask. */
async function predictsMasks(run: string, masks: string): Promise<void> {
  const rows: PredictionRow[] = [];
  await predictRun(run, { split: 'test', backend: 'wasm', masks }, (r) => rows.push(r));
  assert.equal(rows.length, 16);
  for (const t of ['segmentation', 'unmix']) {
    const p = rows[3].tasks[t] as { mask: string; label: string };
    assert.deepEqual(p, { mask: path.join(masks, `3-${t}.png`), label: path.join(masks, `3-${t}-label.png`) });
    const png = PNG.sync.read(fs.readFileSync(p.mask));
    assert.deepEqual([png.width, png.height], [36, 36]);
  }
  assert.equal(fs.readdirSync(masks).length, 16 * 4);
}

describe('dataset configs train for two steps', () => {
  for (const [name, data] of Object.entries(SMALL)) {
    it(name, async () => {
      const spec = parse(fs.readFileSync(path.join(packageRoot(), 'configs', `${name}.yaml`), 'utf8'));
      Object.assign(spec.data, data);
      spec.train = { ...spec.train, epochs: 1, stepsPerEpoch: 2, batchSize: 8 };
      const file = path.join(tmp, `${name}.yaml`);
      fs.writeFileSync(file, stringify(spec));
      const out = path.join(tmp, `${name}-run`);
      const r = await train(file, { out, backend: BACKEND[name] ?? 'cpu' });
      assert.equal(r.status, 'completed');
      assert.equal(r.epochs.length, 1);
      assert.equal(r.epochs[0].steps, 2);
      assert.equal(r.epochs[0].train.samples, 16);
      assert.deepEqual(Object.keys(r.test!.tasks).sort(), Object.keys(spec.tasks).sort());
      for (const [t, m] of Object.entries(r.test!.tasks)) {
        assert.ok(Number.isFinite(m.loss) && m.loss >= 0, `${t} test loss ${m.loss}`);
        for (const key of Object.keys(m)) if (key !== 'r2') assert.ok(Number.isFinite(m[key]), `${t}.${key} = ${m[key]}`);
      }
      assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'best', 'model.json')));
      const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
      assert.equal(metrics.run.status, 'completed');
      if (name === 'multifashion-dense') await predictsMasks(out, path.join(tmp, 'masks'));
      assert.match(metrics.run.data, name === 'cars' ? /Auto MPG/ : name.startsWith('movies') ? /films/ : name.startsWith('flights') ? /flights-small\.parquet \(files, streamed\)/ : name === 'intent-slots' ? /synthetic/ : /Fashion-MNIST/);
    });
  }
});
