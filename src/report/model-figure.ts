// Owns the model picture of a run for the report: the run's resolved spec → built model → the same
// SVG `mtl plot-model --collapse --show-shapes` draws. The only part of the report that needs TensorFlow.
import * as tf from '@tensorflow/tfjs';
import { loadRunSpec } from '../train/run-eval';
import { buildModel } from '../model/build';
import { specGraph } from '../plot/spec-graph';
import { renderSvg } from '../plot/svg';
import { plotView } from '../plot/view';

/** The model graph of a run folder as SVG, or the reason it could not be drawn. */
export async function runModelSvg(runDir: string): Promise<{ svg: string } | { error: string }> {
  try {
    await tf.setBackend('cpu');
    const spec = loadRunSpec(runDir);
    const built = buildModel(spec.resolved);
    try {
      const graph = specGraph(spec.resolved, built.model, built.groups, { collapse: true });
      return { svg: (await renderSvg(plotView(graph, { showShapes: true }))).svg };
    } finally {
      built.model.dispose();
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
}
