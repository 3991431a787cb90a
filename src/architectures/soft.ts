// Owns `soft` parameter sharing (Duong, Cohn, Bird & Cook, ACL 2015, "Low Resource Dependency
// Parsing: Cross-lingual Parameter Sharing in a Neural Network Parser", §3): every task has its own
// copy of the backbone, and training adds λ·Σ_{i<j} Σ_p ‖θ_i,p − θ_j,p‖² over corresponding parameters.
import * as tf from '@tensorflow/tfjs';
import { PenaltyHook } from './units';
import { architecture, weightsOf, type ArchitectureDescriptor, type Features } from './types';
import { num, opts } from '../util/options';

/** λ·Σ_{i<j} Σ_p ‖θ_i,p − θ_j,p‖²: `copies[i][p]` is parameter p of task i's copy. */
export function softSharingPenalty(copies: ReadonlyArray<ReadonlyArray<tf.Tensor | tf.LayerVariable>>, lambda: number): tf.Scalar {
  return tf.tidy(() => {
    const read = (v: tf.Tensor | tf.LayerVariable) => (v instanceof tf.Tensor ? v : v.read());
    const terms: tf.Scalar[] = [];
    for (let i = 0; i < copies.length; i++) {
      for (let j = i + 1; j < copies.length; j++) {
        copies[i].forEach((p, k) => terms.push(tf.sum(tf.square(tf.sub(read(p), read(copies[j][k]))))));
      }
    }
    return terms.length ? (tf.mul(tf.addN(terms), lambda) as tf.Scalar) : tf.scalar(0);
  });
}

export const softArchitecture: ArchitectureDescriptor = architecture({
  type: 'soft',
  description: 'Soft parameter sharing: one backbone copy per task, pulled together by an L2 penalty λ·Σ‖θ_i − θ_j‖² (Duong et al. 2015)',
  options: opts({ lambda: num({ minimum: 0, default: 0.01, description: 'Weight λ of the squared distance between corresponding parameters of the task copies' }) }),
  create(c, ctx) {
    const copies = ctx.taskNames.map((t) => ctx.backbone(`${t}_bb`, t));
    const out: Record<string, Features> = Object.fromEntries(ctx.taskNames.map((t, i) => [t, { outputs: { ...copies[i].outputs }, order: copies[i].order }]));
    if (copies.length > 1) {
      const params = copies.map((b) => b.created.flatMap(weightsOf));
      // One call of an identity layer over all of the first copy's outputs, so the penalty enters
      // model.calculateLosses() (which the train step adds) exactly once.
      const hook = ctx.own(new PenaltyHook({ name: 'soft_sharing_penalty', lambda: c.lambda }), ctx.taskNames[0]);
      hook.addLoss(() => softSharingPenalty(params, c.lambda));
      const first = out[ctx.taskNames[0]];
      const names = first.order;
      const ys = hook.apply(names.length === 1 ? first.outputs[names[0]] : names.map((n) => first.outputs[n])) as tf.SymbolicTensor | tf.SymbolicTensor[];
      const list = Array.isArray(ys) ? ys : [ys];
      names.forEach((n, k) => (first.outputs[n] = list[k]));
    }
    return out;
  },
});
