// Owns the registry of weighting strategies: one import and one register line per strategy.
import { Registry } from '../registry';
import { equalWeighting } from './equal';
import { staticWeighting } from './static';
import type { StrategyDescriptor } from './strategy';

export const strategies = new Registry<StrategyDescriptor>('weighting method')
  .register(staticWeighting)
  .register(equalWeighting);
