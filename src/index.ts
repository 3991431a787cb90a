// Public API for library users: the same functions the CLI calls, and the component registries.
export { MtlError, type Problem, type ErrorKind } from './errors';
export { validateSpecFile, validateSpecText } from './spec/validate';
export type { ResolvedSpec, Spec } from './spec/types';
export { buildModel, type BuiltModel } from './model/build';
export { train, type TrainOptions, type TrainResult } from './train/loop';
export { evaluateRun, type EvalOptions } from './train/run-eval';
export { loadModelFiles } from './model/files';
export { selectBackend, type BackendInfo, type BackendName } from './backend/select';
export { layers } from './layers/index';
export { architectures } from './architectures/index';
export { losses } from './losses/index';
export { metrics } from './metrics/index';
export { strategies } from './weighting/index';
export { aggregate, type AggregateOptions, type AggregateResult } from './weighting/aggregate';
export { optimizers } from './optim/optimizers';
export { schedules } from './optim/schedules';
export { dataRecipes } from './data/index';
