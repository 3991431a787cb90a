// Owns `node dist/bench/profile.js <config> [batch] [backend] [--cpu] [--threads N]`: the kernel-time
// profile of one training step, printed largest first: tf.profile's wall time (mean of two steps after
// one warm-up), or with --cpu each wasm kernel's CPU time (mean of five steps after two), with rows
// ∇Name for the work gradient functions do outside kernels (e.g. relu_grad, bias_relu). --cpu runs on
// one thread unless --threads says otherwise; then each row also gives its wall time and CPU ÷ wall
// (the threads it kept busy: 1.0 is a row still on one thread).
import { selectBackend, type BackendName } from '../src/backend/select';
import { cpuProfileKernels, profileKernels, workload } from './workload';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const cpu = args.includes('--cpu');
  const at = args.indexOf('--threads');
  const threads = at >= 0 ? Number(args[at + 1]) : cpu ? 1 : undefined;
  const [name = 'quickstart', batch, backend = 'wasm'] = args.filter((a, i) => a !== '--cpu' && (at < 0 || (i !== at && i !== at + 1)));
  const info = await selectBackend(backend as BackendName, threads === undefined ? {} : { threads });
  const w = await workload(name, batch ? Number(batch) : undefined);
  w.step();
  if (cpu) w.step();
  const p = cpu ? cpuProfileKernels(w, 5) : { rows: await profileKernels(w, 2), stepMs: undefined, wallStepMs: undefined };
  w.dispose();
  const { rows, stepMs, wallStepMs } = p;
  const total = rows.reduce((a, r) => a + r.ms, 0);
  const n = info.kernelThreads ?? info.threads ?? 1;
  const step = stepMs === undefined ? '' : ` (CPU, ${n} thread${n > 1 ? 's' : ''}; step ${stepMs.toFixed(1)} ms CPU, ${wallStepMs!.toFixed(1)} ms wall; ∇Name: a gradient function's own work outside kernels)`;
  process.stdout.write(`${name} batch ${w.batch.size} on ${backend}: ${total.toFixed(1)} ms kernel time per step${step}\n`);
  const wallOf = (r: (typeof rows)[number]) => (r.wallMs === undefined || n === 1 ? '' : `  wall ${r.wallMs.toFixed(1).padStart(6)} ms  CPU÷wall ${(r.ms / Math.max(r.wallMs, 1e-9)).toFixed(2)}`);
  for (const r of rows.slice(0, cpu ? 40 : 12)) process.stdout.write(`  ${r.kernel.padEnd(28)} ${r.ms.toFixed(1).padStart(8)} ms ${(100 * r.share).toFixed(1).padStart(5)} %${wallOf(r)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
