// Owns the model picture of a run for the report: the run's resolved spec → built model → the same
// Graphviz SVG `mtl plot-model` draws. The only part of the report that needs TensorFlow.
import * as tf from '@tensorflow/tfjs';
import { loadRunSpec } from '../train/run-eval';
import { buildModel } from '../model/build';
import { toDot } from '../plot/dot';
import { modelToGraph } from '../plot/graph';
import { renderSvg } from '../plot/render';

/** The model graph of a run folder as SVG, or the reason it could not be drawn. */
export async function runModelSvg(runDir: string): Promise<{ svg: string } | { error: string }> {
  try {
    await tf.setBackend('cpu');
    const spec = loadRunSpec(runDir);
    const built = buildModel(spec.resolved);
    try {
      return { svg: await renderSvg(toDot(modelToGraph(built.model, built.groups, { title: spec.resolved.name }), { rankdir: 'TB' })) };
    } finally {
      built.model.dispose();
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
}
