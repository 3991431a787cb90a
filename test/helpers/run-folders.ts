// Test helper: small run folders and a seed group written as mtl train would, with numbers chosen
// so that the compare table can be checked by hand.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CONFIG = `name: fixture
tasks:
  left:
    type: classification
    metrics: [{type: accuracy, threshold: 0.5}]
  right:
    type: regression
    metrics: [{type: rmse}]
`;

export interface FixtureRun {
  /** test-split metrics: left accuracy and loss, right rmse and loss */
  acc: number;
  leftLoss: number;
  rmse: number;
  rightLoss: number;
  epochs: number;
  seed?: number;
}

function epoch(i: number, r: FixtureRun) {
  const f = (i + 1) / r.epochs;
  return {
    epoch: i + 1,
    steps: 2,
    train: { loss: 3 - f, tasks: { left: { loss: 2 - f, accuracy: 0.5 * f }, right: { loss: 1.5 - f, rmse: 3 - f } }, samples: 100 },
    val: { loss: 3.5 - f, tasks: { left: { loss: 2.2 - f, accuracy: 0.4 * f }, right: { loss: 1.7 - f, rmse: 3.3 - f } }, samples: 20 },
    weights: { left: 1 - 0.1 * i, right: 1 + 0.1 * i },
    wallTime: 2 + i,
    samplesPerSecond: 100 / (2 + i),
    diagnostics: { backwardPassesPerStep: 2, recomputedSteps: 2, sampledSteps: 1, gradNorms: { left: 1 + i, right: 2 }, cosine: [[1, -0.25], [-0.25, 1]], strategy: null },
  };
}

/** One run folder: metrics.json, metrics.jsonl (epoch + step lines), config.resolved.yaml. */
export function writeRun(dir: string, r: FixtureRun): string {
  fs.mkdirSync(dir, { recursive: true });
  const epochs = Array.from({ length: r.epochs }, (_, i) => epoch(i, r));
  const metrics = {
    version: 1,
    run: { name: 'fixture', status: 'completed', backend: { name: 'cpu' }, seed: r.seed ?? 1, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:10.000Z', data: 'synthetic' },
    tasks: { left: { type: 'classification', metrics: ['accuracy'] }, right: { type: 'regression', metrics: ['rmse'] } },
    weighting: 'static',
    epochs,
    best: { epoch: r.epochs, value: 1, monitor: 'val.loss' },
    test: { loss: r.leftLoss + r.rightLoss, tasks: { left: { loss: r.leftLoss, accuracy: r.acc }, right: { loss: r.rightLoss, rmse: r.rmse } }, samples: 10 },
  };
  fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify(metrics));
  const steps = epochs.map((e, i) => JSON.stringify({ type: 'step', epoch: e.epoch, step: 2 * i, weights: e.weights, gradNorms: { left: 1 + i, right: 2 - 0.5 * i }, cosine: [[1, 0.1 * i], [0.1 * i, 1]] }));
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), [...epochs.map((e) => JSON.stringify({ type: 'epoch', ...e })), ...steps].join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'config.resolved.yaml'), CONFIG);
  return dir;
}

/** PARENT/seeds.json + PARENT/seed-<n>/ for each run. */
export function writeSeedGroup(dir: string, runs: FixtureRun[]): string {
  const seeds = runs.map((r, i) => r.seed ?? i + 1);
  runs.forEach((r, i) => writeRun(path.join(dir, `seed-${seeds[i]}`), { ...r, seed: seeds[i] }));
  fs.writeFileSync(path.join(dir, 'seeds.json'), JSON.stringify({ version: 1, kind: 'seed-group', spec: 'fixture.yaml', seeds, runs: seeds.map((s) => `seed-${s}`) }));
  return dir;
}

/**
 * `single` (one run) and `group` (three seeds). By hand:
 *   group left accuracy 0.7, 0.8, 0.9 → mean 0.8, sample std 0.1 (population std would be 0.0816)
 *   group right rmse 1.0, 1.5, 2.0 → 1.5 ± 0.5; left loss 0.4, 0.5, 0.6 → 0.5 ± 0.1; epochs 1, 2, 3 → 2 ± 1
 *   Δm of group vs single: left accuracy (0.8 − 0.8)/0.8 = 0; right rmse −(1.5 − 2)/2 = +25 %; → +12.5
 */
export function writeFixtures(): { root: string; single: string; group: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-runs-'));
  const single = writeRun(path.join(root, 'single'), { acc: 0.8, leftLoss: 0.5, rmse: 2, rightLoss: 1, epochs: 2 });
  const group = writeSeedGroup(path.join(root, 'group'), [
    { acc: 0.7, leftLoss: 0.4, rmse: 1.0, rightLoss: 1, epochs: 1, seed: 11 },
    { acc: 0.8, leftLoss: 0.5, rmse: 1.5, rightLoss: 1, epochs: 2, seed: 12 },
    { acc: 0.9, leftLoss: 0.6, rmse: 2.0, rightLoss: 1, epochs: 3, seed: 13 },
  ]);
  return { root, single, group };
}
