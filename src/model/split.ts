// Owns the split of a built model into its shared part (inputs → the shared representation z) and
// the per-task heads (z → output), for per-task gradients w.r.t. z (weighting.gradSpace:
// representation) and cheap weighted steps. Reads the graph the builder made; changes nothing in it.
import * as tf from '@tensorflow/tfjs';
import type { BuiltModel } from './build';

export interface SplitModel {
  /** Forward through the shared layers to z (training mode). */
  backbone(xs: tf.Tensor[]): tf.Tensor;
  /** Forward of task t's head on z (training mode). */
  heads: Array<(z: tf.Tensor) => tf.Tensor>;
  /** Shape of z without the batch axis. */
  repShape: number[];
}

type Node = { inputTensors: tf.SymbolicTensor[]; callArgs?: Record<string, unknown> };
type Sym = tf.SymbolicTensor & { sourceLayer: tf.layers.Layer; nodeIndex: number };
const inboundNode = (s: Sym): Node => (s.sourceLayer as unknown as { inboundNodes: Node[] }).inboundNodes[s.nodeIndex];

const cache = new WeakMap<BuiltModel, SplitModel | string>();

/**
 * The split, or the reason there is none: every head must be a chain of single-input layers starting
 * at one tensor that all tasks share (hard parameter sharing). Cached per model.
 */
export function splitModel(built: BuiltModel): SplitModel | string {
  const hit = cache.get(built);
  if (hit !== undefined) return hit;
  const made = makeSplit(built);
  cache.set(built, made);
  return made;
}

function makeSplit(built: BuiltModel): SplitModel | string {
  const isShared = (layer: tf.layers.Layer) => {
    const g = built.groups[layer.name] ?? 'shared';
    return g === 'shared' || g === 'input';
  };
  let z: Sym | undefined;
  const chains: Array<Array<{ layer: tf.layers.Layer; args: Record<string, unknown> }>> = [];
  for (const [t, out] of built.model.outputs.entries()) {
    const chain: Array<{ layer: tf.layers.Layer; args: Record<string, unknown> }> = [];
    let s = out as Sym;
    while (!isShared(s.sourceLayer)) {
      const node = inboundNode(s);
      if (!node || node.inputTensors.length !== 1) return `the head of task "${built.taskNames[t]}" is not a chain of single-input layers`;
      chain.unshift({ layer: s.sourceLayer, args: node.callArgs ?? {} });
      s = node.inputTensors[0] as Sym;
    }
    if (z && z.id !== s.id) return 'the heads do not all start from one shared tensor';
    z = s;
    chains.push(chain);
  }
  if (!z) return 'the model has no outputs';
  const zSym = z;
  const fromInput = built.model.inputs.findIndex((i) => i.id === zSym.id);
  const sub = fromInput >= 0 ? null : tf.model({ inputs: built.model.inputs, outputs: zSym });
  return {
    backbone: (xs) => (sub ? (sub.apply(xs.length === 1 ? xs[0] : xs, { training: true }) as tf.Tensor) : xs[fromInput]),
    heads: chains.map((chain) => (zt: tf.Tensor) => chain.reduce((h, { layer, args }) => layer.apply(h, { ...args, training: true }) as tf.Tensor, zt)),
    repShape: zSym.shape.slice(1).map((d) => d ?? -1),
  };
}
