// Owns the `lstm` layer: long short-term memory over (steps, features) inputs.
import type { LayerDescriptor } from './types';
import { recurrentLayer, recurrentSchema } from './recurrent';

export const lstm: LayerDescriptor = {
  type: 'lstm',
  description: 'Long short-term memory recurrent layer over (steps, features) inputs',
  schema: recurrentSchema('lstm'),
  create: (a, ctx) => recurrentLayer('lstm', a, ctx),
};
