// Owns `cgc`, Customized Gate Control (Tang, Liu, Zhao & Gong, RecSys 2020, §4.2): one level of PLE —
// shared and task-specific experts, task k's gate mixing its own experts and the shared ones.
import { cgcOptions, extraction } from './ple';
import { architecture, type ArchitectureDescriptor } from './types';

export const cgcArchitecture: ArchitectureDescriptor = architecture({
  type: 'cgc',
  description: 'Customized gate control: shared and task-specific experts, one gate per task over its own and the shared experts (Tang et al. 2020)',
  options: cgcOptions,
  create: (c, ctx) => extraction(c, ctx, 'cgc', 1),
});
