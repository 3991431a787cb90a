// Owns `npm run bench -- quality`: learning quality, not speed of a kernel. Trains the MultiFashion
// quickstart model (bundled subset; the full Fashion-MNIST set with --full when the Debian package is
// installed) with each weighting method and several seeds, and prints test accuracy per task as
// mean ± sample std over the seeds and each method's time per training step divided by equal
// weighting's (process CPU time of short runs paired with an equal run, so that the machine's load
// does not decide the ratio). Minutes, not hours: the epoch count and training size are options, and
// the table says which were used.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../src/backend/select';
import { train } from '../src/train/loop';
import { validateSpecText } from '../src/spec/validate';
import { packageRoot } from '../src/util/paths';

interface QualityArgs {
  methods: string[];
  seeds: number;
  /** The first seed (the runs use firstSeed … firstSeed + seeds − 1): a long run can be split into parts. */
  firstSeed: number;
  epochs: number;
  trainSize: number;
  testSize: number;
  full: boolean;
  /** Each method's time per training step ÷ equal's, in this many paired rounds (0: not measured). */
  ratioRounds: number;
  ratioSteps: number;
  ratiosOnly: boolean;
}

const DEFAULT_METHODS = ['equal', 'uw', 'gradnorm', 'mgda', 'pcgrad', 'cagrad', 'nash-mtl', 'upgrad', 'famo', 'scale-invariant', 'auto-lambda'];

function parseQualityArgs(argv: string[]): QualityArgs {
  const a: QualityArgs = { methods: DEFAULT_METHODS, seeds: 3, firstSeed: 1, epochs: 2, trainSize: 6000, testSize: 1000, full: false, ratioRounds: 3, ratioSteps: 40, ratiosOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i] ?? '';
    switch (argv[i]) {
      case '--methods': a.methods = next().split(','); break;
      case '--seeds': a.seeds = Number(next()); break;
      case '--first-seed': a.firstSeed = Number(next()); break;
      case '--epochs': a.epochs = Number(next()); break;
      case '--train-size': a.trainSize = Number(next()); break;
      case '--test-size': a.testSize = Number(next()); break;
      case '--full': a.full = true; break;
      case '--step-ratios': a.ratioRounds = Number(next()); break;
      case '--ratio-steps': a.ratioSteps = Number(next()); break;
      case '--ratios-only': a.ratiosOnly = true; break;
      default: throw new Error(`bench quality: unknown argument ${argv[i]} (allowed: --methods a,b --seeds N --first-seed N --epochs N --train-size N --test-size N --full --step-ratios ROUNDS --ratio-steps N --ratios-only)`);
    }
  }
  return a;
}

/** configs/quickstart.yaml with this method, seed and size; every other setting as the user gets it. */
function specTextFor(method: string, seed: number, a: QualityArgs): string {
  const file = path.join(packageRoot(), 'configs/quickstart.yaml');
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/^seed:.*$/m, `seed: ${seed}`)
    .replace(/^weighting:.*$/m, '')
    .replace(/^(\s+)epochs:.*$/m, `$1epochs: ${a.epochs}`)
    .replace(/trainSize: \d+/, `trainSize: ${a.trainSize}`)
    .replace(/testSize: \d+/, `testSize: ${a.testSize}`)
    .replace(/^data:\n(\s+)type: multifashion.*$/m, (m, ind) => (a.full ? `data:\n${ind}type: multifashion\n${ind}dir: /usr/share/datasets/fashion-mnist` : m));
  return `${text}\nweighting: {method: ${method}}\n`;
}

function specFor(method: string, seed: number, a: QualityArgs) {
  return validateSpecText(specTextFor(method, seed, a), path.join(packageRoot(), 'configs/quickstart.yaml'));
}

const meanStd = (xs: number[]) => {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, sd };
};

/**
 * Step time ÷ equal's on the quickstart model, in process CPU time (wall time on a shared machine
 * follows the load): each round trains every method for ratioSteps steps right after equal weighting
 * does (no validation, no test); a run's set-up CPU (data, model) is measured once with 2 steps and
 * subtracted. The ratio printed is the median over rounds of the paired ratios.
 */
async function stepRatios(a: QualityArgs): Promise<Map<string, number>> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-ratios-'));
  let runs = 0;
  const cpuOfRun = async (method: string, steps: number) => {
    const text = specTextFor(method, 1, { ...a, epochs: 1, trainSize: steps * 64 }).replace(/validation: 0\.1/, 'validation: none\n  evaluateTest: false').replace('monitor: val.loss', 'monitor: train.loss');
    const spec = validateSpecText(text, path.join(packageRoot(), 'configs/quickstart.yaml'));
    const t = process.cpuUsage();
    await train(spec.file, { spec, out: path.join(out, `${method}-${++runs}`), backend: 'wasm' });
    const d = process.cpuUsage(t);
    return (d.user + d.system) / 1e6;
  };
  await cpuOfRun('equal', 2); // warm-up: kernels compiled, caches filled
  const setup = await cpuOfRun('equal', 2);
  const perStep = async (m: string) => Math.max(0, (await cpuOfRun(m, a.ratioSteps)) - setup) / a.ratioSteps;
  const ratios = new Map<string, number[]>(a.methods.filter((m) => m !== 'equal').map((m) => [m, []]));
  for (let round = 1; round <= a.ratioRounds; round++) {
    for (const [m, rs] of ratios) {
      const e = await perStep('equal');
      rs.push((await perStep(m)) / e);
    }
  }
  fs.rmSync(out, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
  process.stdout.write(`Step CPU time ÷ equal, quickstart model, batch 64, ${a.ratioSteps} steps per measurement (set-up ${setup.toFixed(2)} s CPU subtracted), median of ${a.ratioRounds} paired rounds, wasm\n\n| method | step time ÷ equal | rounds |\n| --- | --- | --- |\n`);
  for (const [m, rs] of ratios) process.stdout.write(`| ${m} | ${median(rs).toFixed(2)} | ${rs.map((x) => x.toFixed(2)).join(', ')} |\n`);
  process.stdout.write('\n');
  return new Map([['equal', 1], ...[...ratios].map(([m, rs]): [string, number] => [m, median(rs)])]);
}

export async function qualityBench(argv: string[]): Promise<void> {
  const a = parseQualityArgs(argv);
  // Validating a spec builds the model symbolically: the backend must be ready first.
  await selectBackend('wasm');
  const ratios = a.ratioRounds > 0 ? await stepRatios(a) : new Map<string, number>();
  if (a.ratiosOnly) return;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-quality-'));
  const rows: Array<{ method: string; acc: Record<string, number[]> }> = [];
  const t0 = Date.now();
  for (const method of a.methods) {
    const row = { method, acc: {} as Record<string, number[]> };
    for (let seed = a.firstSeed; seed < a.firstSeed + a.seeds; seed++) {
      const spec = specFor(method, seed, a);
      const r = await train(spec.file, { spec, out: path.join(out, `${method}-${seed}`), backend: 'wasm' });
      for (const [t, m] of Object.entries(r.test?.tasks ?? {})) (row.acc[t] ??= []).push(m.accuracy);
      process.stderr.write(`${method} seed ${seed}: ${JSON.stringify(Object.fromEntries(Object.entries(row.acc).map(([t, v]) => [t, v[v.length - 1]])))} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
    rows.push(row);
  }
  fs.rmSync(out, { recursive: true, force: true });
  const tasks = Object.keys(rows[0]?.acc ?? {});
  process.stdout.write(`MultiFashion (${a.full ? 'full Fashion-MNIST' : 'bundled subset'}, ${a.trainSize} train / ${a.testSize} test), quickstart model, ${a.epochs} epochs, ${a.seeds} seeds, wasm; test accuracy mean ± sample std over seeds; step CPU time ÷ equal from the paired timing above\n\n`);
  process.stdout.write(`| method | ${tasks.map((t) => `${t} accuracy`).join(' | ')} | step time ÷ equal |\n| --- | ${tasks.map(() => '---').join(' | ')} | --- |\n`);
  for (const r of rows) {
    const cells = tasks.map((t) => {
      const { m, sd } = meanStd(r.acc[t]);
      return `${(100 * m).toFixed(1)} ± ${(100 * sd).toFixed(1)}`;
    });
    const ratio = ratios.get(r.method);
    process.stdout.write(`| ${r.method} | ${cells.join(' | ')} | ${ratio === undefined ? '–' : ratio.toFixed(2)} |\n`);
  }
}
