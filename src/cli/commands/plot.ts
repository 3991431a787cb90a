// `mtl plot-model SPEC|RUN -o FILE`: build the graph the trainer would build, draw it (.svg, .png,
// .dot, .mmd, .json) with Keras plot_model's options and each task's loss, weight and parameters.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import { loadRunSpec } from '../../train/run-eval';
import { buildModel } from '../../model/build';
import { writePlot } from '../../plot/render';
import { specGraph } from '../../plot/spec-graph';
import type { PlotOptions } from '../../plot/view';
import { validateSpecFile } from '../../spec/validate';
import type { Output } from '../reporter';

export interface PlotCommandOptions extends PlotOptions {
  output: string;
  collapse?: boolean;
  expandNested?: boolean;
}

/** A spec file or a run folder's resolved spec, validated. */
export function loadTarget(target: string) {
  return fs.existsSync(target) && fs.statSync(target).isDirectory() ? loadRunSpec(target) : validateSpecFile(target);
}

export async function plotCommand(target: string, opts: PlotCommandOptions, o: Output): Promise<void> {
  await tf.setBackend('cpu');
  const spec = loadTarget(target);
  const built = buildModel(spec.resolved);
  try {
    const graph = specGraph(spec.resolved, built.model, built.groups, opts);
    await writePlot(graph, opts.output, opts);
    o.out(`written: ${opts.output} (${graph.nodes.length} boxes, tasks: ${graph.groups.join(', ')})`);
  } finally {
    built.model.dispose();
  }
}
