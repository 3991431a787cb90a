// Owns `node dist/bench/profile.js <config> [batch] [backend] [--cpu]`: the kernel-time profile of
// one training step, printed largest first: tf.profile's wall time (mean of two steps after one
// warm-up), or with --cpu each wasm kernel's CPU time on one thread (mean of five steps after two),
// with rows ∇Name for the work gradient functions do outside kernels (e.g. relu_grad, bias_relu).
import { selectBackend, type BackendName } from '../src/backend/select';
import { cpuProfileKernels, profileKernels, workload } from './workload';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const cpu = args.includes('--cpu');
  const [name = 'quickstart', batch, backend = 'wasm'] = args.filter((a) => a !== '--cpu');
  await selectBackend(backend as BackendName, cpu ? { threads: 1 } : {});
  const w = await workload(name, batch ? Number(batch) : undefined);
  w.step();
  if (cpu) w.step();
  const { rows, stepMs } = cpu ? cpuProfileKernels(w, 5) : { rows: await profileKernels(w, 2), stepMs: undefined };
  w.dispose();
  const total = rows.reduce((a, r) => a + r.ms, 0);
  const step = stepMs === undefined ? '' : ` (CPU, 1 thread; step ${stepMs.toFixed(1)} ms; ∇Name: a gradient function's own work outside kernels)`;
  process.stdout.write(`${name} batch ${w.batch.size} on ${backend}: ${total.toFixed(1)} ms kernel time per step${step}\n`);
  for (const r of rows.slice(0, 12)) process.stdout.write(`  ${r.kernel.padEnd(28)} ${r.ms.toFixed(1).padStart(8)} ms ${(100 * r.share).toFixed(1).padStart(5)} %\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
