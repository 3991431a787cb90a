// `mtl validate SPEC`: every problem at once, or "ok".
import * as tf from '@tensorflow/tfjs';
import { formatProblem, MtlError, type Problem } from '../../errors';
import { missingDataFiles } from '../../spec/data-files';
import { validateSpecFile } from '../../spec/validate';
import { preflight } from '../../train/preflight';
import type { Output } from '../reporter';

export async function validateCommand(spec: string, opts: { json?: boolean }, o: Output): Promise<void> {
  // The symbolic build needs a backend; the cpu one starts instantly and allocates little.
  await tf.setBackend('cpu');
  let s: ReturnType<typeof validateSpecFile>;
  try {
    s = validateSpecFile(spec);
  } catch (e) {
    // A tool reading --json gets the problems as JSON too; stderr and the exit code stay as without it.
    if (opts.json && e instanceof MtlError) o.out(JSON.stringify({ ok: false, file: spec, problems: e.problems.map(problemJson) }, null, 2));
    throw e;
  }
  const warnings = preflight(s);
  const tasks = Object.keys(s.resolved.tasks);
  for (const w of warnings) o.err(`warning: ${spec}: ${w}`);
  // Files the data names but the disk lacks: data inspect and train would stop there (exit 3).
  const missing = missingDataFiles(s).map((p) => `${formatProblem(p)} — data inspect and train stop there`);
  for (const w of missing) o.err(`warning: ${w}`);
  warnings.push(...missing);
  if (opts.json) o.out(JSON.stringify({ ok: true, file: spec, tasks, warnings, resolved: s.resolved }, null, 2));
  else o.out(`ok: ${spec} (${tasks.length} task${tasks.length === 1 ? '' : 's'}: ${tasks.join(', ')})`);
}

/** A problem's fields flattened, with the one-line text the terminal shows. */
function problemJson(p: Problem): object {
  return { ...p.where, message: p.message, received: p.received, allowed: p.allowed, hint: p.hint, text: formatProblem(p) };
}
