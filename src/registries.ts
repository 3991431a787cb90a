// Owns the list of registries by kind — what `mtl list` shows and the docs tables are generated from.
// It sits beside registry.ts but imports every component folder's index, so in the import order it is
// above the components (docs/architecture.md).
import { architectures } from './architectures/index';
import { dataRecipes } from './data/index';
import { layers } from './layers/index';
import { losses } from './losses/index';
import { metrics } from './metrics/index';
import { optimizers } from './optim/optimizers';
import { schedules } from './optim/schedules';
import type { Descriptor, Registry } from './registry';
import { strategies } from './weighting/index';

export const REGISTRIES: Record<string, Registry<Descriptor>> = {
  layers,
  architectures,
  losses,
  metrics,
  weighting: strategies,
  optimizers,
  schedules,
  data: dataRecipes,
};
