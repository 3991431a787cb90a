// Owns the `gru` layer: gated recurrent unit over (steps, features) inputs.
import { layer, type LayerDescriptor } from './types';
import { gruOptions, recurrentLayer } from './recurrent';

export const gruLayer: LayerDescriptor = layer({
  type: 'gru',
  description: 'Gated recurrent unit layer over (steps, features) inputs',
  options: gruOptions,
  create: (a, ctx) => recurrentLayer('gru', a, ctx),
});
