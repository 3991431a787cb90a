// Owns the contract between src/model/build.ts and the architectures: what an architecture may
// create through its context, and what it returns (each task's features, which the task head reads).
import type * as tf from '@tensorflow/tfjs';
import type { LayerBlock } from '../layers/types';
import { component, type ComponentDef, type ComponentInput, type Descriptor } from '../registry';
import type { PathSeg } from '../errors';
import type { LayerItem, ResolvedSpec } from '../spec/types';

export type Created = tf.layers.Layer | LayerBlock;

/** Named symbolic tensors a head can take its input from (`tasks.<t>.from`); order[0] is the default. */
export interface Features {
  outputs: Record<string, tf.SymbolicTensor>;
  order: string[];
}

/** A backbone built once: its features and every layer created for it, in creation order. */
export interface BuiltBackbone extends Features {
  created: Created[];
}

export interface ArchitectureContext {
  spec: ResolvedSpec;
  taskNames: string[];
  /** The spec inputs, concatenated on the last axis when there are several (what a layer-list backbone reads). */
  joined(): tf.SymbolicTensor;
  /** The spec's backbone (layer list or graph) built once: layer names start with `prefix`, all in `group`. */
  backbone(prefix: string, group: string): BuiltBackbone;
  /** The backbone as a layer list; a graph backbone is an error naming `architecture`. */
  backboneList(architecture: string): LayerItem[];
  /** Create one spec layer (not yet applied), named `name`, in `group`. */
  create(item: LayerItem, path: PathSeg[], name: string, group: string): Created;
  /** Apply a created layer to one tensor or (merge layers) several; shape errors are reported at `path`. */
  applyTo(created: Created, item: LayerItem, path: PathSeg[], x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor;
  /** Create and apply a layer list in order; layer i is named `${prefix}_${i + 1}_${type}`. */
  stack(items: LayerItem[], path: PathSeg[], prefix: string, group: string, x: tf.SymbolicTensor): { y: tf.SymbolicTensor; created: Created[] };
  /** Record an mtl-made layer (gate, mixing unit, attention) in `group`; its name must be unused. */
  own<L extends tf.layers.Layer>(layer: L, group: string): L;
  /**
   * Mark task layers whose output reaches other tasks' losses (e.g. through a mixing unit): grouped
   * under their task for plots, but partitioned as shared so gradient strategies see every task's gradient.
   */
  shareGradients(created: Created[]): void;
  nextSeed(): number;
}

export type ArchitectureDescriptor = Descriptor<ComponentInput, Record<string, Features>, ArchitectureContext>;

/** An architecture with typed options: `create` receives them validated, defaults filled. */
export const architecture = <O>(d: ComponentDef<O, Record<string, Features>, ArchitectureContext>): ArchitectureDescriptor => component(d);

/** The trainable variables a created layer (or block) owns, in a fixed order. */
export function weightsOf(c: Created): tf.LayerVariable[] {
  return 'kind' in c && c.kind === 'block' ? c.layers.flatMap((l) => l.trainableWeights) : (c as tf.layers.Layer).trainableWeights;
}

/** One feature, the same for every task (hard sharing, MMoE-style outputs per task use their own). */
export const single = (name: string, x: tf.SymbolicTensor): Features => ({ outputs: { [name]: x }, order: [name] });
