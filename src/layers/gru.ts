// Owns the `gru` layer: gated recurrent unit over (steps, features) inputs.
import type { LayerDescriptor } from './types';
import { recurrentLayer, recurrentSchema } from './recurrent';

export const gru: LayerDescriptor = {
  type: 'gru',
  description: 'Gated recurrent unit layer over (steps, features) inputs',
  schema: recurrentSchema('gru'),
  create: (a, ctx) => recurrentLayer('gru', a, ctx),
};
