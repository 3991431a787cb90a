// Owns graph specs: a backbone written as named nodes (layers, or named submodels whose weights are
// shared by every node that applies them) wired by name to the inputs and to each other.
import type * as tf from '@tensorflow/tfjs';
import type { ArchitectureContext, BuiltBackbone, Created } from '../architectures/types';
import { MULTI_INPUT_LAYERS } from '../layers/merge-types';
import type { PathSeg } from '../errors';
import type { GraphSpec, LayerItem } from '../spec/types';
import { didYouMean } from '../util/suggest';
import { LayerBuildError } from './errors';

export function isGraphSpec(b: unknown): b is GraphSpec {
  // An object with `from` is a pretrained backbone (src/model/pretrained.ts), not a graph.
  return typeof b === 'object' && b !== null && !Array.isArray(b) && !('from' in b);
}

const typeOf = (item: LayerItem) => Object.keys(item)[0];

type Ctx = Pick<ArchitectureContext, 'create' | 'applyTo'>;

/**
 * Build graph `g` over `sources` (the spec inputs by name). Layer names: `${prefix}_${node}_${type}` for
 * `layer`, `${prefix}_${node}_${i}_${type}` for `layers`, `${prefix}_${submodel}_${i}_${type}` for submodels.
 */
export function buildGraph(g: GraphSpec, sources: Record<string, tf.SymbolicTensor>, path: PathSeg[], prefix: string, group: string, ctx: Ctx): BuiltBackbone {
  const nodeNames = Object.keys(g.nodes);
  const known = [...Object.keys(sources), ...nodeNames];
  const submodels = g.submodels ?? {};
  const created: Created[] = [];
  const subLayers = new Map<string, Created[]>();
  const values = new Map<string, tf.SymbolicTensor>();
  const visiting: string[] = [];

  for (const n of nodeNames) {
    if (sources[n]) throw new LayerBuildError([...path, 'nodes', n], `node "${n}" has the name of an input; rename it`, true);
  }

  const layersOfSubmodel = (name: string, at: PathSeg[]): { items: LayerItem[]; layers: Created[] } => {
    const items = submodels[name];
    if (!items) {
      const names = Object.keys(submodels);
      throw new LayerBuildError(at, `unknown submodel "${name}" (allowed: ${names.join(', ') || 'none: add backbone.submodels'})${hint(name, names)}`);
    }
    let made = subLayers.get(name);
    if (!made) {
      made = items.map((item, i) => ctx.create(item, [...path, 'submodels', name, i], `${prefix}_${name}_${i + 1}_${typeOf(item)}`, group));
      subLayers.set(name, made);
      created.push(...made);
    }
    return { items, layers: made };
  };

  const evaluate = (name: string, from: PathSeg[]): tf.SymbolicTensor => {
    if (sources[name]) return sources[name];
    const done = values.get(name);
    if (done) return done;
    const node = g.nodes[name];
    if (!node) throw new LayerBuildError(from, `unknown input or node "${name}" (allowed: ${known.join(', ')})${hint(name, known)}`);
    const at: PathSeg[] = [...path, 'nodes', name];
    if (visiting.includes(name)) {
      const cycle = [...visiting.slice(visiting.indexOf(name)), name].join(' → ');
      throw new LayerBuildError(at, `node "${name}" is part of a cycle: ${cycle}`, true);
    }
    const kinds = (['apply', 'layer', 'layers'] as const).filter((k) => node[k] !== undefined);
    if (kinds.length !== 1) throw new LayerBuildError(at, `node "${name}" needs exactly one of apply, layer, layers (received ${kinds.join(', ') || 'none'})`, true);
    visiting.push(name);
    const xs = node.inputs.map((ref, k) => evaluate(ref, [...at, 'inputs', k]));
    visiting.pop();

    let items: LayerItem[];
    let layers: Created[];
    let itemPaths: PathSeg[][];
    if (node.apply !== undefined) {
      ({ items, layers } = layersOfSubmodel(node.apply, [...at, 'apply']));
      itemPaths = items.map(() => at);
    } else if (node.layer !== undefined) {
      items = [node.layer];
      layers = [ctx.create(node.layer, [...at, 'layer'], `${prefix}_${name}_${typeOf(node.layer)}`, group)];
      itemPaths = [[...at, 'layer']];
      created.push(...layers);
    } else {
      items = node.layers ?? [];
      layers = items.map((item, i) => ctx.create(item, [...at, 'layers', i], `${prefix}_${name}_${i + 1}_${typeOf(item)}`, group));
      itemPaths = items.map((_, i) => [...at, 'layers', i]);
      created.push(...layers);
    }
    if (!items.length) throw new LayerBuildError(at, `node "${name}" has no layers`, true);
    const multi = MULTI_INPUT_LAYERS.has(typeOf(items[0]));
    if (xs.length > 1 && !multi) {
      throw new LayerBuildError([...at, 'inputs'], `node "${name}" has ${xs.length} inputs but its first layer (${typeOf(items[0])}) takes one; merge them first with ${[...MULTI_INPUT_LAYERS].join(', ')}`);
    }
    let x: tf.SymbolicTensor | tf.SymbolicTensor[] = multi ? xs : xs[0];
    items.forEach((item, i) => {
      try {
        x = ctx.applyTo(layers[i], item, itemPaths[i], x);
      } catch (e) {
        if (e instanceof LayerBuildError) throw new LayerBuildError(e.path, `node "${name}": ${e.message}`, e.key);
        throw e;
      }
    });
    values.set(name, x as tf.SymbolicTensor);
    return x as tf.SymbolicTensor;
  };

  for (const n of nodeNames) evaluate(n, [...path, 'nodes', n]);
  const outputs: Record<string, tf.SymbolicTensor> = {};
  g.outputs.forEach((o, k) => {
    outputs[o] = evaluate(o, [...path, 'outputs', k]);
  });
  return { outputs, order: [...g.outputs], created };
}

function hint(name: string, names: string[]): string {
  const h = didYouMean(name, names);
  return h ? `; ${h}` : '';
}
