// `mtl plot-model SPEC|RUN -o FILE`: build the graph the trainer would build, draw it.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import { loadRunSpec } from '../../train/run-eval';
import { buildModel } from '../../model/build';
import { modelToGraph } from '../../plot/graph';
import { writePlot } from '../../plot/render';
import { validateSpecFile } from '../../spec/validate';
import type { Output } from '../reporter';

export async function plotCommand(target: string, opts: { output: string; rankdir?: 'TB' | 'LR' }, o: Output): Promise<void> {
  await tf.setBackend('cpu');
  const spec = fs.existsSync(target) && fs.statSync(target).isDirectory() ? loadRunSpec(target) : validateSpecFile(target);
  const built = buildModel(spec.resolved);
  try {
    const graph = modelToGraph(built.model, built.groups, { title: spec.resolved.name });
    await writePlot(graph, opts.output, { rankdir: opts.rankdir });
    o.out(`written: ${opts.output} (${graph.nodes.length} layers, tasks: ${graph.groups.join(', ')})`);
  } finally {
    built.model.dispose();
  }
}
