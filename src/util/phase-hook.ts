// Owns a test hook for signal handling: MTL_TEST_SLOW_PHASE=<phase>:<ms> makes one phase of `mtl train`
// (startup, data, test-eval) announce itself on stderr and then stay busy for <ms> without checking
// for Ctrl-C — synchronous work in 20 ms slices between which the event loop runs, as a slow data
// reader or evaluation does — so that tests can send signals at that phase deterministically.
const SLICE_MS = 20;

export type Phase = 'startup' | 'data' | 'test-eval';

export async function phaseHook(phase: Phase): Promise<void> {
  const m = /^([a-z-]+):(\d+)$/.exec(process.env.MTL_TEST_SLOW_PHASE ?? '');
  if (!m || m[1] !== phase) return;
  process.stderr.write(`test hook: phase ${phase}\n`);
  const end = Date.now() + Number(m[2]);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < end) {
    // A blocking wait stands for a slice of real work; the loop runs between slices.
    Atomics.wait(cell, 0, 0, SLICE_MS);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
