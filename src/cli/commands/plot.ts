// `mtl plot-model SPEC|RUN -o FILE`: build the graph the trainer would build, draw it (.svg, .png,
// .dot, .mmd, .json) with Keras plot_model's options and each task's loss, weight and parameters.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import { loadRunSpec } from '../../train/run-eval';
import { buildModel } from '../../model/build';
import { stageView } from '../../model/stages';
import { writePlot } from '../../plot/render';
import { specGraph } from '../../plot/spec-graph';
import type { PlotOptions } from '../../plot/view';
import { validateSpecFile } from '../../spec/validate';
import type { Output } from '../reporter';

export interface PlotCommandOptions extends PlotOptions {
  output: string;
  collapse?: boolean;
  expandNested?: boolean;
  /** The stage whose frozen layers are marked (default: the first, when the spec has stages). */
  stage?: string;
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
    const view = stageView(spec.resolved, built, opts.stage);
    const stage = view && { name: view.name, frozen: view.layers, inactive: view.inactive };
    const graph = specGraph(spec.resolved, built.model, built.groups, { ...opts, stage });
    await writePlot(graph, opts.output, opts);
    const frozen = view ? `; stage ${view.name} (${view.index + 1} of ${view.count}): ${view.layers.size} layer${view.layers.size === 1 ? '' : 's'} frozen` : '';
    o.out(`written: ${opts.output} (${graph.nodes.length} boxes, tasks: ${graph.groups.join(', ')}${frozen})`);
  } finally {
    built.model.dispose();
  }
}
