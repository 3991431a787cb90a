// Owns `node dist/bench/ab.js [config] [batch] [steps] [kernel,kernel…]`: step time with
// tfjs-backend-wasm's own kernels (all it has that mtl replaces, or the ones listed) vs mtl's,
// alternating step by step in one process (CPU time, medians).
import { selectBackend } from '../src/backend/select';
import { keepOriginalKernels, REPLACED, useKernels } from './kernels';
import { median, workload } from './workload';

async function main(): Promise<void> {
  const [name = 'quickstart', batch = '', steps = '8', only = ''] = process.argv.slice(2);
  const names = only ? only.split(',') : REPLACED;
  keepOriginalKernels();
  await selectBackend('wasm');
  const w = await workload(name, batch ? Number(batch) : undefined);
  const times: Record<'tfjs' | 'mtl', number[]> = { tfjs: [], mtl: [] };
  for (let k = 0; k < Number(steps) + 1; k++) {
    for (const which of ['tfjs', 'mtl'] as const) {
      useKernels(which, names);
      const c0 = process.cpuUsage();
      w.step();
      const c = process.cpuUsage(c0);
      if (k > 0) times[which].push((c.user + c.system) / 1000);
    }
  }
  w.dispose();
  const [a, b] = [median(times.tfjs), median(times.mtl)];
  process.stdout.write(`${name} batch ${w.batch.size}: tfjs's ${names.join(', ')} ${a.toFixed(1)} ms, mtl's ${b.toFixed(1)} ms CPU per step (×${(a / b).toFixed(2)}; median of ${steps})\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
