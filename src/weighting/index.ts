// Owns the registry of weighting strategies: one import and one register line per strategy.
import { Registry } from '../registry';
import { dwaWeighting } from './dwa';
import { equalWeighting } from './equal';
import { famoWeighting } from './famo';
import { glsWeighting } from './gls';
import { gradnormWeighting } from './gradnorm';
import { rlwWeighting } from './rlw';
import { scaleInvariantWeighting } from './scale-invariant';
import { staticWeighting } from './static';
import { stchWeighting } from './stch';
import { alignedMtlWeighting } from './aligned-mtl';
import { autoLambdaWeighting } from './auto-lambda';
import { cagradWeighting } from './cagrad';
import { configWeighting } from './config';
import { dbMtlWeighting } from './db-mtl';
import { dualprojWeighting } from './dualproj';
import { excessmtlWeighting } from './excessmtl';
import { fairgradWeighting } from './fairgrad';
import { graddropWeighting } from './graddrop';
import { gradvacWeighting } from './gradvac';
import { imtlWeighting } from './imtl';
import { mgdaWeighting } from './mgda';
import { mocoWeighting } from './moco';
import { modoWeighting } from './modo';
import { nashMtlWeighting } from './nash-mtl';
import { pcgradWeighting } from './pcgrad';
import { sdmgradWeighting } from './sdmgrad';
import { upgradWeighting } from './upgrad';
import type { StrategyDescriptor } from './strategy';
import { uwWeighting } from './uw';

export const strategies = new Registry<StrategyDescriptor>('weighting method')
  .register(staticWeighting)
  .register(equalWeighting)
  .register(uwWeighting)
  .register(dwaWeighting)
  .register(glsWeighting)
  .register(rlwWeighting)
  .register(scaleInvariantWeighting)
  .register(gradnormWeighting)
  .register(famoWeighting)
  .register(stchWeighting)
  .register(mgdaWeighting)
  .register(pcgradWeighting)
  .register(cagradWeighting)
  .register(upgradWeighting)
  .register(nashMtlWeighting)
  .register(gradvacWeighting)
  .register(imtlWeighting)
  .register(graddropWeighting)
  .register(alignedMtlWeighting)
  .register(dbMtlWeighting)
  .register(fairgradWeighting)
  .register(dualprojWeighting)
  .register(configWeighting)
  .register(mocoWeighting)
  .register(sdmgradWeighting)
  .register(modoWeighting)
  .register(excessmtlWeighting)
  .register(autoLambdaWeighting);
