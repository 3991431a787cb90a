// Owns `dselect-k` (Hazimeh, Zhao, Chowdhery, Sathiamoorthy, Chen, Mazumder, Hong & Chi, NeurIPS 2021,
// "DSelect-k: Differentiable Selection in the Mixture of Experts with Applications to Multi-Task
// Learning"): MMoE's experts with each task's softmax gate replaced by a DSelect-k gate, a smooth and
// eventually sparse choice of k experts, with the paper's optional entropy regulariser on the
// selectors (src/architectures/units.ts). arXiv:2106.03760.
import { int, num, opts } from '../util/options';
import { SHARED_GROUP } from '../tasks';
import { DSelectKGate } from './units';
import { expert, expertCount, expertItems, expertOption, flat, mixture } from './experts';
import { architecture, single, type ArchitectureDescriptor } from './types';

export const dselectKArchitecture: ArchitectureDescriptor = architecture({
  type: 'dselect-k',
  description: 'Experts mixed per task by differentiable top-k selection gates (Hazimeh et al. 2021)',
  options: opts({
    experts: expertCount(4, 'Number of experts'),
    k: int({ minimum: 1, maximum: 16, default: 2, description: 'Number of experts each gate selects (its single-expert selectors)' }),
    gamma: num({ exclusiveMinimum: 0, default: 1, description: 'Width γ of the smooth-step: larger is smoother, slower to become sparse' }),
    entropy: num({ minimum: 0, default: 0, description: 'λ of the entropy regulariser: λ · mean over the batch of Σ_i H(r⁽ⁱ⁾) over each gate\'s single-expert selectors, added to the training loss so that each selector settles on one expert sooner (0: off)' }),
    expert: expertOption,
  }),
  create(c, ctx) {
    const e = expertItems(c, ctx, 'dselect-k');
    const x = ctx.joined();
    const n = c.experts;
    const experts = Array.from({ length: n }, (_, k) => expert(ctx, e, `expert${k + 1}`, SHARED_GROUP, x));
    return Object.fromEntries(
      ctx.taskNames.map((t) => {
        const gate = ctx.own(new DSelectKGate({ name: `${t}_gate`, experts: n, k: c.k, gamma: c.gamma, entropy: c.entropy, seed: ctx.nextSeed() }), t);
        const g = gate.apply(flat(ctx, x, `${t}_gate_flatten`, t)) as import('@tensorflow/tfjs').SymbolicTensor;
        return [t, single('backbone', mixture(ctx, g, experts, `${t}_mixture`, t))];
      }),
    );
  },
});
