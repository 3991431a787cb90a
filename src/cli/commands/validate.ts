// `mtl validate SPEC`: every problem at once, or "ok".
import * as tf from '@tensorflow/tfjs';
import { validateSpecFile } from '../../spec/validate';
import { preflight } from '../../train/preflight';
import type { Output } from '../reporter';

export async function validateCommand(spec: string, opts: { json?: boolean }, o: Output): Promise<void> {
  // The symbolic build needs a backend; the cpu one starts instantly and allocates little.
  await tf.setBackend('cpu');
  const s = validateSpecFile(spec);
  const warnings = preflight(s);
  const tasks = Object.keys(s.resolved.tasks);
  for (const w of warnings) o.err(`warning: ${spec}: ${w}`);
  if (opts.json) o.out(JSON.stringify({ ok: true, file: spec, tasks, warnings, resolved: s.resolved }, null, 2));
  else o.out(`ok: ${spec} (${tasks.length} tasks: ${tasks.join(', ')})`);
}
