// Owns `mtan`, the Multi-Task Attention Network (Liu, Johns & Davison, CVPR 2019, "End-to-End
// Multi-Task Learning with Attention", §3.1): a shared trunk (the backbone list) and, per task, a soft
// attention module after every trunk layer that has weights:
//   â_j = h(g([p_j ; f_j(â_{j−1})])) ⊙ p_j,   â_1 = h(g(p_1)) ⊙ p_1,
// where p_j is the trunk's output, g a 1×1 projection, batch normalisation and ReLU, h the same with a
// sigmoid (the paper's [conv 1×1, BN, ReLU] and [conv 1×1, BN, sigmoid], Fig. 2 — here dense layers
// on the last axis, which is a 1×1 convolution on images; `batchNorm: false` leaves BN out), and f_j — the paper's
// shared feature extractor that brings â_{j−1} to p_j's shape — is the trunk layer j itself, shared by
// all tasks. Weightless trunk layers (pooling, flatten, dropout) carry â along unchanged in kind.
import * as tf from '@tensorflow/tfjs';
import { bool, opts } from '../util/options';
import { oneKernelBatchNorm } from '../layers/batch-norm-train';
import { SHARED_GROUP } from '../tasks';
import { architecture, single, weightsOf, type ArchitectureDescriptor } from './types';

const typeOf = (item: Record<string, unknown>) => Object.keys(item)[0];

export const mtanArchitecture: ArchitectureDescriptor = architecture({
  type: 'mtan',
  description: 'Multi-task attention network: a shared trunk plus, per task, a sigmoid attention mask after each trunk layer with weights (Liu et al. 2019)',
  options: opts({ batchNorm: bool({ default: true, description: 'Batch normalisation between each attention projection and its activation, as in the paper' }) }),
  create(c, ctx) {
    const items = ctx.backboneList('mtan');
    let p = ctx.joined();
    const att: (tf.SymbolicTensor | undefined)[] = ctx.taskNames.map(() => undefined);
    // One attention projection: dense (a 1×1 convolution on the last axis), batch norm, activation.
    const unit = (name: string, units: number, activation: 'relu' | 'sigmoid', group: string, x: tf.SymbolicTensor): tf.SymbolicTensor => {
      const d = ctx.own(tf.layers.dense({ name, units, activation: c.batchNorm ? 'linear' : activation, kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }) }), group).apply(x) as tf.SymbolicTensor;
      if (!c.batchNorm) return d;
      const n = ctx.own(oneKernelBatchNorm(tf.layers.batchNormalization({ name: `${name}_bn`, axis: -1 })), group).apply(d) as tf.SymbolicTensor;
      return ctx.own(tf.layers.activation({ name: `${name}_${activation}`, activation }), group).apply(n) as tf.SymbolicTensor;
    };
    items.forEach((item, i) => {
      const path = ['backbone', i];
      const layer = ctx.create(item, path, `shared_${i + 1}_${typeOf(item)}`, SHARED_GROUP);
      const next = ctx.applyTo(layer, item, path, p);
      const block = weightsOf(layer).length > 0;
      ctx.taskNames.forEach((t, k) => {
        const prev = att[k] ? ctx.applyTo(layer, item, path, att[k] as tf.SymbolicTensor) : undefined;
        if (!block) {
          att[k] = prev;
          return;
        }
        const channels = next.shape[next.shape.length - 1] as number;
        const merged = prev ? (ctx.own(tf.layers.concatenate({ name: `${t}_att${i + 1}_concat`, axis: -1 }), t).apply([next, prev]) as tf.SymbolicTensor) : next;
        const g = unit(`${t}_att${i + 1}_g`, channels, 'relu', t, merged);
        const mask = unit(`${t}_att${i + 1}_h`, channels, 'sigmoid', t, g);
        att[k] = ctx.own(tf.layers.multiply({ name: `${t}_att${i + 1}_apply` }), t).apply([mask, next]) as tf.SymbolicTensor;
      });
      p = next;
    });
    return Object.fromEntries(ctx.taskNames.map((t, k) => [t, single('backbone', att[k] ?? p)]));
  },
});
