// Owns what the expert architectures (mmoe, cgc, ple, dselect-k) share: the expert layer stack option,
// building expert copies, softmax gates over a (flattened) input, and the gated mixture.
import * as tf from '@tensorflow/tfjs';
import type { PathSeg } from '../errors';
import type { LayerItem } from '../spec/types';
import { int, list } from '../util/options';
import { ExpertMixture } from './units';
import type { ArchitectureContext, Created } from './types';

/** A layer list option (items checked by the spec schema's layer definition). */
export const expertList = (description: string) => list<LayerItem, { minItems: number; description: string }>({ $ref: '#/definitions/layer' }, { minItems: 1, description });

export const expertOption = expertList('Layers of one expert (default: the backbone list); every expert is a copy with its own weights');

export const expertCount = (def: number, description: string) => int({ minimum: 1, maximum: 64, default: def, description });

/** The expert layer list: architecture.expert, or the backbone list. */
export function expertItems(c: { expert?: LayerItem[] }, ctx: ArchitectureContext, arch: string): { items: LayerItem[]; path: PathSeg[] } {
  if (c.expert) return { items: c.expert, path: ['architecture', 'expert'] };
  return { items: ctx.backboneList(arch), path: ['backbone'] };
}

/** One expert: a fresh copy of the expert stack applied to x. */
export function expert(ctx: ArchitectureContext, e: { items: LayerItem[]; path: PathSeg[] }, prefix: string, group: string, x: tf.SymbolicTensor, collect?: Created[]): tf.SymbolicTensor {
  if (!e.items.length) return x;
  const { y, created } = ctx.stack(e.items, e.path, prefix, group, x);
  collect?.push(...created);
  return y;
}

/** A softmax gate over n experts (Ma et al. 2018, eq. 6: g(x) = softmax(W_g x)); x is flattened first. */
export function softmaxGate(ctx: ArchitectureContext, x: tf.SymbolicTensor, n: number, name: string, group: string): tf.SymbolicTensor {
  const dense = ctx.own(tf.layers.dense({ name, units: n, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }) }), group);
  return dense.apply(flat(ctx, x, `${name}_flatten`, group)) as tf.SymbolicTensor;
}

/** x as (batch, features): a flatten layer when x has more axes. */
export function flat(ctx: ArchitectureContext, x: tf.SymbolicTensor, name: string, group: string): tf.SymbolicTensor {
  return x.shape.length > 2 ? (ctx.own(tf.layers.flatten({ name }), group).apply(x) as tf.SymbolicTensor) : x;
}

/** Σ_k g_k · expert_k. */
export function mixture(ctx: ArchitectureContext, gate: tf.SymbolicTensor, experts: tf.SymbolicTensor[], name: string, group: string): tf.SymbolicTensor {
  return ctx.own(new ExpertMixture({ name }), group).apply([gate, ...experts]) as tf.SymbolicTensor;
}
