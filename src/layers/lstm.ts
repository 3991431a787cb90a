// Owns the `lstm` layer: long short-term memory over (steps, features) inputs.
import { layer, type LayerDescriptor } from './types';
import { lstmOptions, recurrentLayer } from './recurrent';

export const lstmLayer: LayerDescriptor = layer({
  type: 'lstm',
  description: 'Long short-term memory recurrent layer over (steps, features) inputs',
  options: lstmOptions,
  create: (a, ctx) => recurrentLayer('lstm', a, ctx),
});
