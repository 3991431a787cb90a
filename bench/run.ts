// Owns `npm run bench`: speed and memory figures, not tests. Prints tables and writes
// bench/results.json:
//   throughput  training samples/s of four shipped configs per backend and WASM thread count (and,
//               on 1 thread, with tfjs-backend-wasm's own gradient kernels: the "before")
//   torch       the PyTorch reference of the quickstart model (bench/lenet_hps_torch.py), when a
//               python3 with torch exists, and mtl ÷ PyTorch at 1 thread and at all threads
//   profile     kernel-time top-5 of a quickstart step (batch 256), tfjs kernels vs mtl's
//   weighting   step time of each gradient-based weighting method ÷ equal weighting
//   memory      peak RSS and live tensors over 200 quickstart steps; peak RSS of a run on the full MultiFashion
//   cli         `mtl --help` and `mtl validate` wall time (and bare `node -e 0`)
//   text        the BiLSTM-CRF text workload and its PyTorch reference (bench/text.ts)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../src/backend/select';
import { validateSpecFile } from '../src/spec/validate';
import { packageRoot } from '../src/util/paths';
import { child, cliSeconds, nodeSeconds, torchPython, torchThroughput, type TorchResult } from './external';
import { qualityBench } from './quality';
import { textBench } from './text';
import { weightingRatios, type WeightingArgs } from './weighting';

const SECTIONS = ['throughput', 'torch', 'profile', 'weighting', 'memory', 'cli', 'text'] as const;
const CONFIGS: Array<[string, number | undefined]> = [['quickstart', 256], ['seed-siamese', undefined], ['seed-resnet-two-heads-small', undefined], ['seed-text-crf-small', undefined]];

interface Args extends WeightingArgs {
  sections: string[];
  trainSteps: number;
  configs: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { sections: [...SECTIONS], steps: 40, warmup: 3, tasks: [2, 4, 8], batch: 64, trainSteps: 8, configs: CONFIGS.map((c) => c[0]) };
  const usage = `npm run bench -- [--sections ${SECTIONS.join(',')}] [--configs ${a.configs.join(',')}] [--train-steps 8] [--steps 40] [--warmup 3] [--tasks 2,4,8] [--methods mgda,pcgrad] [--batch 64]\n`;
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i] ?? '';
    switch (argv[i]) {
      case '--sections': a.sections = next().split(','); break;
      case '--configs': a.configs = next().split(','); break;
      case '--train-steps': a.trainSteps = Number(next()); break;
      case '--steps': a.steps = Number(next()); break;
      case '--warmup': a.warmup = Number(next()); break;
      case '--tasks': a.tasks = next().split(',').map(Number); break;
      case '--methods': a.methods = next().split(','); break;
      case '--batch': a.batch = Number(next()); break;
      case '--help': process.stdout.write(usage); process.exit(0); break;
      default: throw new Error(`unknown argument ${argv[i]}\n${usage}`);
    }
  }
  return a;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

const out = (s: string) => process.stdout.write(s);
const fmt = (x: number | undefined, d = 0) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

function hasTfjsNode(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

interface Throughput {
  config: string;
  backend: string;
  threads: number | null;
  kernels: 'mtl' | 'tfjs';
  samplesPerSecond?: number;
  stepMs?: number;
  cpuStepMs?: number;
  batch?: number;
  error?: string;
  notice?: string | null;
}

function throughputSection(a: Args, allThreads: number): Throughput[] {
  const results: Throughput[] = [];
  const variants: Array<Omit<Throughput, 'config'>> = [
    { backend: 'wasm', threads: 1, kernels: 'tfjs' },
    { backend: 'wasm', threads: 1, kernels: 'mtl' },
    ...(allThreads > 1 ? [{ backend: 'wasm', threads: allThreads, kernels: 'mtl' as const }] : []),
    { backend: 'cpu', threads: null, kernels: 'mtl' },
    // TensorFlow's own kernels (kernels: 'mtl' only means nothing is put back), on its CPU threads.
    ...(hasTfjsNode() ? [...new Set([1, allThreads])].map((threads) => ({ backend: 'tensorflow', threads, kernels: 'mtl' as const })) : []),
  ];
  for (const [config, batch] of CONFIGS.filter((c) => a.configs.includes(c[0]))) {
    for (const v of variants) {
      const steps = v.backend === 'cpu' ? Math.min(3, a.trainSteps) : a.trainSteps;
      const r = child<Omit<Throughput, 'config' | 'kernels'>>('throughput', { config, batch, backend: v.backend, threads: v.threads ?? undefined, steps, kernels: v.kernels });
      results.push({ config, ...v, ...r });
    }
  }
  const rows = results.map((r) => [r.config, String(r.batch ?? '–'), r.backend, String(r.threads ?? '–'), r.kernels === 'tfjs' ? 'tfjs (before)' : r.backend === 'tensorflow' ? 'TensorFlow' : 'mtl', r.error ? `error: ${r.error.slice(0, 60)}` : fmt(r.samplesPerSecond), fmt(r.stepMs, 1)]);
  out('training throughput (one fixed batch; median wall time of a step)\n' + table(['config', 'batch', 'backend', 'threads', 'gradient kernels', 'samples/s', 'ms/step'], rows) + '\n');
  return results;
}

function torchSection(a: Args, allThreads: number, tp: Throughput[]): object {
  const py = torchPython();
  if (!py) {
    out('PyTorch reference: skipped (no python3 with torch; Debian/Ubuntu: apt-get install python3-torch)\n\n');
    return { skipped: 'no python3 with torch' };
  }
  const threads = [...new Set([1, allThreads])];
  const torch = torchThroughput(py, 256, threads, Math.max(10, a.trainSteps));
  const mtl = (t: number) => tp.find((r) => r.config === 'quickstart' && r.backend === 'wasm' && r.kernels === 'mtl' && r.threads === t);
  const ratio = (t: TorchResult) => (mtl(t.threads)?.samplesPerSecond ?? NaN) / t.samplesPerSecond;
  // On one thread, CPU time per step is the steadier comparison on a loaded machine (wall time counts waiting).
  const cpuRatio = (t: TorchResult) => (t.threads === 1 ? t.cpuStepMs / (mtl(1)?.cpuStepMs ?? NaN) : NaN);
  const rows = torch.map((t) => [String(t.threads), fmt(mtl(t.threads)?.samplesPerSecond), fmt(t.samplesPerSecond), fmt(ratio(t), 2), fmt(cpuRatio(t), 2)]);
  const head = ['threads', 'mtl samples/s', 'PyTorch samples/s', 'mtl ÷ PyTorch', 'by CPU time (1 thread)'];
  out(`quickstart (LeNet-HPS, batch 256, Adam): mtl wasm vs PyTorch ${torch[0]?.torch} (${py})\n` + table(head, rows) + '\n');
  return { python: py, results: torch, ratio: Object.fromEntries(torch.map((t) => [t.threads, ratio(t)])), cpuRatio1Thread: cpuRatio(torch[0]) };
}

interface Profile {
  kernels: string;
  totalMs: number;
  top: Array<{ kernel: string; ms: number; share: number }>;
}

function profileSection(): object {
  const before = child<Profile>('profile', { config: 'quickstart', batch: 256, kernels: 'tfjs' });
  const after = child<Profile>('profile', { config: 'quickstart', batch: 256, kernels: 'mtl' });
  const cells = (p: Profile | { error: string }, i: number) => ('error' in p ? ['error', ''] : p.top[i] ? [p.top[i].kernel, `${fmt(p.top[i].ms, 1)} ms (${fmt(100 * p.top[i].share)} %)`] : ['', '']);
  const rows = [0, 1, 2, 3, 4].map((i) => [String(i + 1), ...cells(before, i), ...cells(after, i)]);
  const total = (p: Profile | { error: string }) => ('error' in p ? '–' : `${fmt(p.totalMs, 1)} ms`);
  out(`kernel time of one quickstart step (batch 256, wasm, 1 thread, tf.profile): tfjs kernels ${total(before)}, mtl kernels ${total(after)}\n` + table(['#', 'tfjs kernels', 'time', 'mtl kernels', 'time'], rows) + '\n');
  return { before, after };
}

async function weightingSection(a: Args): Promise<object> {
  const info = await selectBackend('wasm', { threads: 1 });
  const base = validateSpecFile(path.join(packageRoot(), 'configs/quickstart.yaml')).resolved;
  const r = weightingRatios(base, a);
  const rows = Object.entries(r.ratios).map(([m, v]) => [m, ...v.map((x) => (x === null ? '–' : x.toFixed(2)))]);
  out(`step time ÷ equal weighting (backend ${info.name}, ${info.threads} thread; synthetic MLP 128-256-256-64, T ten-way heads, batch ${a.batch}; median over ${a.steps} rounds of the paired CPU-time ratio, after ${a.warmup})\n`);
  out(table(['method', ...a.tasks.flatMap((T) => [`T=${T} param`, `T=${T} repr`])], rows));
  out(`equal weighting: ${a.tasks.map((T) => `T=${T} ${fmt(r.equalMs[T], 1)} ms`).join(', ')}\n\n`);
  return r;
}

function memorySection(): object {
  const r = child<{ peakRssMB: number; tensorsAfterStep1: number; tensorsAfterLast: number; tensorsMax: number; threads: number }>('memory', { config: 'quickstart', steps: 200 });
  if ('error' in r) out(`memory: error ${r.error}\n\n`);
  else out(`memory over 200 quickstart steps (batch 64, wasm, ${r.threads} threads): peak RSS ${fmt(r.peakRssMB)} MB; live tensors after step 1 ${r.tensorsAfterStep1}, after step 200 ${r.tensorsAfterLast}, most ${r.tensorsMax}\n\n`);
  const full = child<{ peakRssMB: number; steps: number; skipped?: string }>('fullData', { steps: 100 });
  if ('error' in full) out(`full MultiFashion: error ${full.error}\n\n`);
  else if (full.skipped) out(`full MultiFashion: skipped (${full.skipped})\n\n`);
  else out(`full MultiFashion (60,000 train / 10,000 test pairs, quickstart model, ${full.steps} steps + validation + test, wasm, 1 thread): peak RSS ${fmt(full.peakRssMB)} MB (target < 300)\n\n`);
  return { ...r, fullMultiFashion: full };
}

function cliSection(): object {
  const r = { nodeSeconds: nodeSeconds(), helpSeconds: cliSeconds(['--help']), validateSeconds: cliSeconds(['validate', 'configs/quickstart.yaml']) };
  out(`CLI start (median of 5 wall times): node -e 0 ${fmt(r.nodeSeconds, 2)} s, mtl --help ${fmt(r.helpSeconds, 2)} s, mtl validate configs/quickstart.yaml ${fmt(r.validateSeconds, 2)} s\n\n`);
  return r;
}

async function main(): Promise<void> {
  // `npm run bench -- quality …`: learning quality per method (bench/quality.ts).
  if (process.argv[2] === 'quality') return qualityBench(process.argv.slice(3));
  const a = parseArgs(process.argv.slice(2));
  const allThreads = Math.min(os.availableParallelism?.() ?? os.cpus().length, 8);
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage: os.loadavg() };
  out(`${results.cpus} CPUs (${results.cpuModel}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n\n`);
  let tp: Throughput[] = [];
  if (a.sections.includes('throughput')) results.throughput = tp = throughputSection(a, allThreads);
  if (a.sections.includes('torch')) results.torch = torchSection(a, allThreads, tp);
  if (a.sections.includes('profile')) results.profile = profileSection();
  if (a.sections.includes('memory')) results.memory = memorySection();
  if (a.sections.includes('cli')) results.cli = cliSection();
  if (a.sections.includes('weighting')) results.weighting = await weightingSection(a);
  if (a.sections.includes('text')) {
    await selectBackend('wasm', { threads: 1 });
    await textBench({ steps: Math.min(a.steps, 10), warmup: 2, torch: true });
  }
  const file = path.join(packageRoot(), 'bench/results.json');
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  out(`written: ${path.relative(process.cwd(), file)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
