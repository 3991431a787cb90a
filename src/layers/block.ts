// Owns the helper the built-in backbones (composite layer types) are written with: sub-layers named
// <block name>_<part>, created on first use, so applying a block twice reuses (shares) its weights.
import type * as tf from '@tensorflow/tfjs';
import type { LayerBlock, LayerContext } from './types';

export class BlockBuilder {
  private readonly made = new Map<string, tf.layers.Layer>();

  constructor(private readonly ctx: LayerContext) {}

  /** The sub-layer `<block>_<part>`: made by `make(name)` the first time, the same layer afterwards. */
  layer<T extends tf.layers.Layer>(part: string, make: (name: string) => T): T {
    const name = `${this.ctx.name}_${part}`;
    let l = this.made.get(name);
    if (!l) {
      l = make(name);
      this.made.set(name, l);
    }
    return l as T;
  }

  /** Apply the sub-layer `part` (created by `make` on first use) to x. */
  apply(part: string, make: (name: string) => tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
    return this.layer(part, make).apply(x) as tf.SymbolicTensor;
  }

  seed(): number {
    return this.ctx.nextSeed();
  }

  list(): tf.layers.Layer[] {
    return [...this.made.values()];
  }
}

export function makeBlock(ctx: LayerContext, wire: (b: BlockBuilder, x: tf.SymbolicTensor) => tf.SymbolicTensor): LayerBlock {
  const b = new BlockBuilder(ctx);
  return {
    kind: 'block',
    get layers() {
      return b.list();
    },
    apply: (x) => wire(b, x),
  };
}
