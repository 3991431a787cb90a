// `mtl summary SPEC|RUN [--json]`: Keras' model.summary() for the model a spec builds, with the split
// of parameters into shared and per task.
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../model/build';
import { stageView } from '../../model/stages';
import { formatSummary, summarize } from '../../plot/summary';
import type { Output } from '../reporter';
import { loadTarget } from './plot';

export async function summaryCommand(target: string, opts: { json?: boolean; stage?: string }, o: Output): Promise<void> {
  await tf.setBackend('cpu');
  const spec = loadTarget(target);
  const built = buildModel(spec.resolved);
  try {
    const view = stageView(spec.resolved, built, opts.stage);
    const s = summarize(built.model, built.groups, built.taskNames, view);
    if (opts.json) o.out(JSON.stringify({ ...s, name: spec.resolved.name }, null, 2));
    else for (const line of formatSummary({ ...s, name: spec.resolved.name })) o.out(line);
  } finally {
    built.model.dispose();
  }
}
