// Owns `node dist/bench/profile.js <config> [batch] [backend]`: the kernel-time profile of one
// training step (tf.profile; mean of two steps after one warm-up), printed largest first.
import { selectBackend, type BackendName } from '../src/backend/select';
import { profileKernels, workload } from './workload';

async function main(): Promise<void> {
  const [name = 'quickstart', batch, backend = 'wasm'] = process.argv.slice(2);
  await selectBackend(backend as BackendName);
  const w = await workload(name, batch ? Number(batch) : undefined);
  w.step();
  const rows = await profileKernels(w, 2);
  w.dispose();
  const total = rows.reduce((a, r) => a + r.ms, 0);
  process.stdout.write(`${name} batch ${w.batch.size} on ${backend}: ${total.toFixed(1)} ms kernel time per step\n`);
  for (const r of rows.slice(0, 12)) process.stdout.write(`  ${r.kernel.padEnd(28)} ${r.ms.toFixed(1).padStart(8)} ms ${(100 * r.share).toFixed(1).padStart(5)} %\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
