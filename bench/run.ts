// Owns `npm run bench`: speed figures, not tests. (1) Time per train step of every registered
// gradient-based weighting method divided by equal weighting's, at T = 2, 4, 8 tasks on a synthetic
// MLP (random data), in both gradient spaces; (2) the quickstart model's step time on wasm vs cpu.
// Medians over --steps timed steps after --warmup untimed ones.
import Ajv from 'ajv';
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { selectBackend, type BackendName } from '../src/backend/select';
import type { Batch } from '../src/data/batching';
import { taskRuntimes } from '../src/eval/evaluate';
import { buildModel, partitionVariables } from '../src/model/build';
import { optimizers } from '../src/optim/optimizers';
import type { ResolvedSpec } from '../src/spec/types';
import { validateSpecFile } from '../src/spec/validate';
import { disposeStepResult, trainStep, type StepParts } from '../src/train/step';
import { packageRoot } from '../src/util/paths';
import { strategies } from '../src/weighting/index';
import { textBench } from './text';
import type { GradSpace } from '../src/weighting/options';
import type { WeightingStrategy } from '../src/weighting/strategy';

interface Args {
  backend: BackendName;
  steps: number;
  warmup: number;
  tasks: number[];
  methods?: string[];
  batch: number;
  quickstart: boolean;
  text: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { backend: 'wasm', steps: 12, warmup: 3, tasks: [2, 4, 8], batch: 64, quickstart: true, text: true };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i] ?? '';
    switch (argv[i]) {
      case '--backend': a.backend = next() as BackendName; break;
      case '--steps': a.steps = Number(next()); break;
      case '--warmup': a.warmup = Number(next()); break;
      case '--tasks': a.tasks = next().split(',').map(Number); break;
      case '--methods': a.methods = next().split(','); break;
      case '--batch': a.batch = Number(next()); break;
      case '--no-quickstart': a.quickstart = false; break;
      case '--no-text': a.text = false; break;
      case '--help':
        process.stdout.write('npm run bench -- [--backend wasm|cpu|tensorflow] [--steps 12] [--warmup 3] [--tasks 2,4,8] [--methods mgda,pcgrad] [--batch 64] [--no-quickstart] [--no-text]\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const ajv = new Ajv({ useDefaults: true, strict: false });
function strategyOf(method: string, T: number): WeightingStrategy {
  const d = strategies.get(method);
  const config: Record<string, unknown> = {};
  ajv.compile(d.schema)(config); // fills the method's defaults
  return d.create({ method, ...config }, { taskNames: Array.from({ length: T }, (_, t) => `t${t}`), taskWeights: new Array<number>(T).fill(1), seed: 1 });
}

/** The quickstart spec's resolved form with a synthetic MLP trunk and T ten-way heads. */
function syntheticSpec(base: ResolvedSpec, T: number): ResolvedSpec {
  const s = structuredClone(base) as ResolvedSpec;
  s.inputs = { x: { shape: [128], dtype: 'float32' } };
  s.backbone = [{ dense: { units: 256, activation: 'relu' } }, { dense: { units: 256, activation: 'relu' } }, { dense: { units: 64, activation: 'relu' } }];
  const task = s.tasks.left;
  s.tasks = Object.fromEntries(Array.from({ length: T }, (_, t) => [`t${t}`, { ...structuredClone(task), metrics: [] }]));
  return s;
}

function randomBatch(spec: ResolvedSpec, n: number): Batch {
  const inputs = Object.fromEntries(Object.entries(spec.inputs).map(([k, v]) => [k, tf.randomUniform([n, ...v.shape], 0, 1, 'float32', 7)]));
  const targets = Object.fromEntries(Object.keys(spec.tasks).map((t, i) => [t, tf.tensor1d(Array.from({ length: n }, (_, r) => (r * 7 + i * 3) % 10), 'int32')]));
  return { size: n, inputs, targets, masks: Object.fromEntries(Object.keys(spec.tasks).map((t) => [t, undefined])) };
}

interface Runner {
  step(): number;
  dispose(): void;
}

/**
 * A model, strategy and gradient space ready to step; step() returns the process CPU milliseconds
 * (user + system) of one step. CPU time rather than wall time: on a shared machine other processes'
 * load inflates wall time but not the work this process does (the wasm and cpu backends run on the
 * calling thread).
 */
function runner(spec: ResolvedSpec, strategy: WeightingStrategy, gradSpace: GradSpace, batch: Batch, opt = 'sgd'): Runner {
  const built = buildModel(spec);
  const vars = partitionVariables(built);
  const o = optimizers.get(opt);
  const config: Record<string, unknown> = {};
  ajv.compile(o.schema)(config);
  const parts: StepParts = {
    built,
    lossFns: taskRuntimes(spec).map((t) => t.lossFn),
    strategy,
    opt: o.create(config, undefined),
    clipNorm: null,
    shared: vars.shared.map((v) => v.read() as tf.Variable),
    heads: built.taskNames.map((t) => vars.heads[t].map((v) => v.read() as tf.Variable)),
    gradSpace,
  };
  let step = 0;
  return {
    step() {
      const c0 = process.cpuUsage();
      const r = trainStep(parts, batch, { step: step++, epoch: 1, learningRate: 0.001, epochLosses: [] });
      r.taskLosses.dataSync();
      disposeStepResult(r);
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1000;
    },
    dispose() {
      parts.opt.optimizer.dispose();
      built.model.dispose();
      strategy.dispose();
    },
  };
}

/** Median ms per step of each runner, stepping them in turn so that load drift hits all alike. */
function timeInterleaved(runners: Runner[], a: Args): number[] {
  const times = runners.map(() => [] as number[]);
  for (let k = 0; k < a.warmup + a.steps; k++) {
    runners.forEach((r, i) => {
      const ms = r.step();
      if (k >= a.warmup) times[i].push(ms);
    });
  }
  runners.forEach((r) => r.dispose());
  return times.map(median);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const info = await selectBackend(a.backend);
  const base = validateSpecFile(path.join(packageRoot(), 'configs/quickstart.yaml')).resolved;
  const gradientMethods = strategies.types().filter((m) => (a.methods ? a.methods.includes(m) : strategyOf(m, 2).needs === 'task-gradients'));
  process.stdout.write(`backend ${info.name}; synthetic MLP 128-256-256-64, T ten-way heads, batch ${a.batch}; median CPU time of ${a.steps} steps after ${a.warmup}\n\n`);
  const rows: string[][] = [];
  const equalMs: Record<number, number[]> = {};
  for (const T of a.tasks) {
    const spec = syntheticSpec(base, T);
    const batch = randomBatch(spec, a.batch);
    for (const m of gradientMethods) {
      let row = rows.find((r) => r[0] === m);
      if (!row) rows.push((row = [m]));
      // Equal weighting is re-timed beside each method: ratios come from the same stretch of time.
      const [eq, param, repr] = timeInterleaved(
        [runner(spec, strategyOf('equal', T), 'parameters', batch), runner(spec, strategyOf(m, T), 'parameters', batch), runner(spec, strategyOf(m, T), 'representation', batch)],
        a,
      );
      (equalMs[T] ??= []).push(eq);
      row.push((param / eq).toFixed(2), (repr / eq).toFixed(2));
    }
    tf.dispose([...Object.values(batch.inputs), ...Object.values(batch.targets)]);
  }
  const head = ['method', ...a.tasks.flatMap((T) => [`T=${T} param`, `T=${T} repr`])];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  process.stdout.write('step time ÷ equal weighting\n' + line(head) + '\n' + line(widths.map((w) => '-'.repeat(w))) + '\n' + rows.map(line).join('\n') + '\n');
  process.stdout.write(`equal weighting (median over the methods' runs): ${a.tasks.map((T) => `T=${T} ${median(equalMs[T] ?? [0]).toFixed(1)} ms`).join(', ')}\n\n`);

  if (a.quickstart) {
    const qs: string[] = [];
    for (const backend of ['wasm', 'cpu'] as const) {
      await selectBackend(backend);
      const batch = randomBatch(base, base.train.batchSize);
      const r = runner(base, strategyOf('static', 2), 'parameters', batch, 'adam');
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let k = 0; k < 2 + Math.min(a.steps, 10); k++) {
        const t0 = performance.now();
        const c = r.step();
        if (k >= 2) {
          wall.push(performance.now() - t0);
          cpu.push(c);
        }
      }
      r.dispose();
      const ms = median(cpu);
      const wallMs = median(wall);
      qs.push(`${backend} ${ms.toFixed(1)} ms CPU (${wallMs.toFixed(1)} ms wall)`);
      tf.dispose([...Object.values(batch.inputs), ...Object.values(batch.targets)]);
    }
    process.stdout.write(`quickstart model (configs/quickstart.yaml, batch ${base.train.batchSize}, adam, static) step time: ${qs.join(', ')}\n`);
  }
  if (a.text) {
    await selectBackend(a.backend);
    await textBench({ steps: Math.min(a.steps, 10), warmup: 2, torch: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
