// Owns `mmoe`, Multi-gate Mixture-of-Experts (Ma, Zhao, Yi, Chen, Hong & Chi, KDD 2018, "Modeling
// Task Relationships in Multi-task Learning with Multi-gate Mixture-of-Experts", eq. 5–6): n shared
// experts, and per task a softmax gate g^k(x) whose weights mix the experts: f^k(x) = Σ_i g^k(x)_i f_i(x).
import { SHARED_GROUP } from '../tasks';
import { expert, expertCount, expertItems, expertOption, mixture, softmaxGate } from './experts';
import { architecture, single, type ArchitectureDescriptor } from './types';
import { opts } from '../util/options';

export const mmoeArchitecture: ArchitectureDescriptor = architecture({
  type: 'mmoe',
  description: 'Multi-gate mixture of experts: shared expert copies, one softmax gate per task (Ma et al. 2018)',
  options: opts({ experts: expertCount(3, 'Number of experts'), expert: expertOption }),
  create(c, ctx) {
    const e = expertItems(c, ctx, 'mmoe');
    const x = ctx.joined();
    const experts = Array.from({ length: c.experts }, (_, k) => expert(ctx, e, `expert${k + 1}`, SHARED_GROUP, x));
    return Object.fromEntries(ctx.taskNames.map((t) => [t, single('backbone', mixture(ctx, softmaxGate(ctx, x, experts.length, `${t}_gate`, t), experts, `${t}_mixture`, t))]));
  },
});
