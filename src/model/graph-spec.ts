// Owns graph specs: a backbone written as named nodes (layers, or named submodels whose weights are
// shared by every node that applies them) wired by name to the inputs and to each other.
import type * as tf from '@tensorflow/tfjs';
import type { ArchitectureContext, BuiltBackbone, Created } from '../architectures/types';
import { MULTI_INPUT_LAYERS } from '../layers/merge-types';
import { SHARED_GROUP } from '../tasks';
import type { PathSeg } from '../errors';
import type { GraphNode, GraphSpec, LayerItem } from '../spec/types';
import { didYouMean } from '../util/suggest';
import { LayerBuildError } from './errors';

export function isGraphSpec(b: unknown): b is GraphSpec {
  // An object with `from` is a pretrained backbone (src/model/pretrained.ts), not a graph.
  return typeof b === 'object' && b !== null && !Array.isArray(b) && !('from' in b);
}

const typeOf = (item: LayerItem) => Object.keys(item)[0];

type Ctx = Pick<ArchitectureContext, 'create' | 'applyTo' | 'taskNames'>;

/** A node's layers, created or (a submodel) reused, each with the path its errors are reported at. */
interface NodeLayers {
  items: LayerItem[];
  layers: Created[];
  itemPaths: PathSeg[][];
}

/**
 * Build graph `g` over `sources` (the spec inputs by name). Layer names: `${prefix}_${node}_${type}` for
 * `layer`, `${prefix}_${node}_${i}_${type}` for `layers`, `${prefix}_${submodel}_${i}_${type}` for submodels.
 */
export function buildGraph(g: GraphSpec, sources: Record<string, tf.SymbolicTensor>, path: PathSeg[], prefix: string, group: string, ctx: Ctx): BuiltBackbone {
  return new GraphBuilder(g, sources, path, prefix, group, ctx).build();
}

/** One graph being built: nodes are evaluated on demand, in dependency order, each once. */
class GraphBuilder {
  private readonly known: string[];
  private readonly submodels: Record<string, LayerItem[]>;
  private readonly created: Created[] = [];
  private readonly subLayers = new Map<string, Created[]>();
  private readonly values = new Map<string, tf.SymbolicTensor>();
  private readonly visiting: string[] = [];

  constructor(
    private readonly g: GraphSpec,
    private readonly sources: Record<string, tf.SymbolicTensor>,
    private readonly path: PathSeg[],
    private readonly prefix: string,
    private readonly group: string,
    private readonly ctx: Ctx,
  ) {
    this.known = [...Object.keys(sources), ...Object.keys(g.nodes)];
    this.submodels = g.submodels ?? {};
  }

  build(): BuiltBackbone {
    const nodeNames = Object.keys(this.g.nodes);
    for (const n of nodeNames) {
      if (this.sources[n]) throw new LayerBuildError([...this.path, 'nodes', n], `node "${n}" has the name of an input; rename it`, true);
    }
    for (const n of nodeNames) this.evaluate(n, [...this.path, 'nodes', n]);
    const outputs: Record<string, tf.SymbolicTensor> = {};
    this.g.outputs.forEach((o, k) => {
      outputs[o] = this.evaluate(o, [...this.path, 'outputs', k]);
    });
    return { outputs, order: [...this.g.outputs], created: this.created };
  }

  private createAll(items: LayerItem[], at: PathSeg[], name: (item: LayerItem, i: number) => string, group = this.group): Created[] {
    return items.map((item, i) => this.ctx.create(item, [...at, i], name(item, i), group));
  }

  /** A node's layer group: its `task` in a shared graph (a per-task decoder), else the graph's group. */
  private groupOf(node: GraphNode): string {
    return node.task !== undefined && this.group === SHARED_GROUP ? node.task : this.group;
  }

  /** The layers of submodel `name`, created the first time a node applies it (one set of weights). */
  private layersOfSubmodel(name: string, at: PathSeg[]): { items: LayerItem[]; layers: Created[] } {
    const items = this.submodels[name];
    if (!items) {
      const names = Object.keys(this.submodels);
      throw new LayerBuildError(at, `unknown submodel "${name}" (allowed: ${names.join(', ') || 'none: add backbone.submodels'})${hint(name, names)}`);
    }
    let made = this.subLayers.get(name);
    if (!made) {
      made = this.createAll(items, [...this.path, 'submodels', name], (item, i) => `${this.prefix}_${name}_${i + 1}_${typeOf(item)}`);
      this.subLayers.set(name, made);
      this.created.push(...made);
    }
    return { items, layers: made };
  }

  private nodeLayers(node: GraphNode, name: string, at: PathSeg[]): NodeLayers {
    if (node.apply !== undefined) {
      const { items, layers } = this.layersOfSubmodel(node.apply, [...at, 'apply']);
      return { items, layers, itemPaths: items.map(() => at) };
    }
    let out: NodeLayers;
    const group = this.groupOf(node);
    if (node.layer !== undefined) {
      out = { items: [node.layer], layers: [this.ctx.create(node.layer, [...at, 'layer'], `${this.prefix}_${name}_${typeOf(node.layer)}`, group)], itemPaths: [[...at, 'layer']] };
    } else {
      const items = node.layers ?? [];
      out = { items, layers: this.createAll(items, [...at, 'layers'], (item, i) => `${this.prefix}_${name}_${i + 1}_${typeOf(item)}`, group), itemPaths: items.map((_, i) => [...at, 'layers', i]) };
    }
    this.created.push(...out.layers);
    return out;
  }

  /** The output of input or node `name` (referenced at `from`), building the node and what it reads first. */
  private evaluate(name: string, from: PathSeg[]): tf.SymbolicTensor {
    if (this.sources[name]) return this.sources[name];
    const done = this.values.get(name);
    if (done) return done;
    const node = this.g.nodes[name];
    if (!node) throw new LayerBuildError(from, `unknown input or node "${name}" (allowed: ${this.known.join(', ')})${hint(name, this.known)}`);
    const at: PathSeg[] = [...this.path, 'nodes', name];
    if (this.visiting.includes(name)) {
      const cycle = [...this.visiting.slice(this.visiting.indexOf(name)), name].join(' → ');
      throw new LayerBuildError(at, `node "${name}" is part of a cycle: ${cycle}`, true);
    }
    const kinds = (['apply', 'layer', 'layers'] as const).filter((k) => node[k] !== undefined);
    if (kinds.length !== 1) throw new LayerBuildError(at, `node "${name}" needs exactly one of apply, layer, layers (received ${kinds.join(', ') || 'none'})`, true);
    if (node.task !== undefined && !this.ctx.taskNames.includes(node.task)) {
      throw new LayerBuildError([...at, 'task'], `unknown task "${node.task}" (allowed: ${this.ctx.taskNames.join(', ')})${hint(node.task, this.ctx.taskNames)}`);
    }
    this.visiting.push(name);
    const xs = node.inputs.map((ref, k) => this.evaluate(ref, [...at, 'inputs', k]));
    this.visiting.pop();
    node.inputs.forEach((ref, k) => {
      const owner = this.g.nodes[ref]?.task;
      if (owner !== undefined && owner !== node.task) throw new LayerBuildError([...at, 'inputs', k], `node "${name}" reads "${ref}", a node of task ${owner}; only nodes of task ${owner} may read it`);
    });
    const y = this.applyNode(name, at, this.nodeLayers(node, name, at), xs);
    this.values.set(name, y);
    return y;
  }

  private applyNode(name: string, at: PathSeg[], { items, layers, itemPaths }: NodeLayers, xs: tf.SymbolicTensor[]): tf.SymbolicTensor {
    if (!items.length) throw new LayerBuildError(at, `node "${name}" has no layers`, true);
    const multi = MULTI_INPUT_LAYERS.has(typeOf(items[0]));
    if (xs.length > 1 && !multi) {
      throw new LayerBuildError([...at, 'inputs'], `node "${name}" has ${xs.length} inputs but its first layer (${typeOf(items[0])}) takes one; merge them first with ${[...MULTI_INPUT_LAYERS].join(', ')}`);
    }
    let x: tf.SymbolicTensor | tf.SymbolicTensor[] = multi ? xs : xs[0];
    items.forEach((item, i) => {
      try {
        x = this.ctx.applyTo(layers[i], item, itemPaths[i], x);
      } catch (e) {
        if (e instanceof LayerBuildError) throw new LayerBuildError(e.path, `node "${name}": ${e.message}`, e.key);
        throw e;
      }
    });
    return x as tf.SymbolicTensor;
  }
}

function hint(name: string, names: string[]): string {
  const h = didYouMean(name, names);
  return h ? `; ${h}` : '';
}
