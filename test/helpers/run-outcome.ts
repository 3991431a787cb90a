// Test helper: what two run folders must share to count as one trajectory — metrics.json's records
// without timing fields, every metrics.jsonl line, and the weight and optimizer bytes of every checkpoint.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function stripTiming(v: unknown, timing: ReadonlySet<string>): unknown {
  if (Array.isArray(v)) return v.map((x) => stripTiming(x, timing));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !timing.has(k)).map(([k, x]) => [k, stripTiming(x, timing)]));
  return v;
}

export function runOutcome(run: string, timing: ReadonlySet<string>) {
  const strip = (v: unknown) => stripTiming(v, timing);
  const m = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
  const bytes = (f: string) => fs.readFileSync(path.join(run, 'checkpoints', f)).toString('base64');
  return {
    status: m.run.status,
    epochs: strip(m.epochs),
    best: m.best,
    bestPerTask: m.bestPerTask,
    test: strip(m.test),
    lines: fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => strip(JSON.parse(l))),
    checkpoints: Object.fromEntries(
      fs
        .readdirSync(path.join(run, 'checkpoints'))
        .sort()
        .map((n) => [n, bytes(`${n}/weights.bin`) + bytes(`${n}/optimizer.bin`)]),
    ),
  };
}
