// Owns the bench's measurements that need a process of their own (the WASM thread count is fixed
// once the backend starts): `node dist/bench/child.js <mode> <json args>` prints one JSON line.
//   throughput {config, batch, backend, threads, steps, kernels?}: training samples/s (wall, median
//              step); kernels 'tfjs' puts tfjs-backend-wasm's own gradient kernels back ("before")
//   profile    {config, batch, kernels: 'tfjs'|'mtl'}: kernel-time shares of one step (1 thread)
//   memory     {config, steps}: peak RSS and live tensors over `steps` steps
//   fullData   {steps}: peak RSS of `mtl train` on the full MultiFashion (60,000 / 10,000 pairs from the
//              Debian dataset-fashion-mnist files): quickstart's model, one epoch of `steps` steps, then
//              validation (6,000 pairs) and test — the recipe's memory, not the model's
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { train } from '../src/train/loop';
import { packageRoot } from '../src/util/paths';
import { selectBackend, type BackendName } from '../src/backend/select';
import { keepOriginalKernels, useKernels } from './kernels';
import { median, profileKernels, workload } from './workload';

interface Args {
  config: string;
  batch?: number;
  backend?: BackendName;
  threads?: number;
  steps?: number;
  kernels?: 'tfjs' | 'mtl';
}

async function throughput(a: Args): Promise<object> {
  if (a.kernels === 'tfjs') keepOriginalKernels();
  const info = await selectBackend(a.backend ?? 'wasm', { threads: a.threads });
  if (a.kernels === 'tfjs') useKernels('tfjs');
  const w = await workload(a.config, a.batch);
  w.step();
  w.step();
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < (a.steps ?? 10); k++) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    w.step();
    const c = process.cpuUsage(c0);
    ms.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  w.dispose();
  const step = median(ms);
  // CPU time per step: on one thread, what the step costs however loaded the machine is.
  return { backend: info.name, threads: info.threads ?? null, notice: info.notice ?? null, batch: w.batch.size, stepMs: step, cpuStepMs: median(cpu), samplesPerSecond: (1000 * w.batch.size) / step };
}

async function profile(a: Args): Promise<object> {
  keepOriginalKernels();
  await selectBackend('wasm', { threads: 1 });
  useKernels(a.kernels ?? 'mtl');
  const w = await workload(a.config, a.batch);
  w.step();
  const rows = await profileKernels(w, 2);
  w.dispose();
  return { kernels: a.kernels, totalMs: rows.reduce((s, r) => s + r.ms, 0), top: rows.slice(0, 5) };
}

async function memory(a: Args): Promise<object> {
  const info = await selectBackend('wasm', { threads: a.threads });
  const w = await workload(a.config, a.batch);
  const tensors: number[] = [];
  for (let k = 0; k < (a.steps ?? 200); k++) {
    w.step();
    tensors.push(tf.memory().numTensors);
  }
  w.dispose();
  // maxRSS is in kilobytes.
  return { threads: info.threads, steps: tensors.length, peakRssMB: process.resourceUsage().maxRSS / 1024, tensorsAfterStep1: tensors[0], tensorsAfterLast: tensors[tensors.length - 1], tensorsMax: Math.max(...tensors) };
}

async function fullData(a: Args): Promise<object> {
  const dir = '/usr/share/datasets/fashion-mnist';
  if (!fs.existsSync(dir)) return { skipped: `${dir} is missing (Debian package dataset-fashion-mnist)` };
  const spec = parse(fs.readFileSync(path.join(packageRoot(), 'configs/quickstart.yaml'), 'utf8'));
  spec.data = { ...spec.data, dir, trainSize: 60000, testSize: 10000 };
  spec.train = { ...spec.train, epochs: 1, stepsPerEpoch: a.steps ?? 100 };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-bench-full-'));
  try {
    fs.writeFileSync(path.join(tmp, 'full.yaml'), stringify(spec));
    const r = await train(path.join(tmp, 'full.yaml'), { out: path.join(tmp, 'run'), backend: 'wasm', threads: a.threads ?? 1 });
    return { pairs: 60000, steps: r.epochs[0].steps, peakRssMB: process.resourceUsage().maxRSS / 1024, testAccuracy: Object.fromEntries(Object.entries(r.test!.tasks).map(([t, m]) => [t, m.accuracy])) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const MODES: Record<string, (a: Args) => Promise<object>> = { throughput, profile, memory, fullData };

async function main(): Promise<void> {
  const [mode, json = '{}'] = process.argv.slice(2);
  const fn = MODES[mode];
  if (!fn) throw new Error(`mode ${mode}: expected one of ${Object.keys(MODES).join(', ')}`);
  process.stdout.write(JSON.stringify(await fn(JSON.parse(json) as Args)) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
