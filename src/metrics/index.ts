// Owns the registry of metrics.
import { Registry } from '../registry';
import type { MetricDescriptor } from './types';
import { accuracy } from './accuracy';
import { auc } from './auc';
import { macroF1Metric } from './macro-f1';
import { mae } from './mae';
import { r2 } from './r2';
import { rmse } from './rmse';
import { topKAccuracy } from './top-k-accuracy';
import { tokenAccuracy } from './token-accuracy';
import { entityPrecision } from './entity-precision';
import { entityRecall } from './entity-recall';
import { entityF1 } from './entity-f1';

export const metrics = new Registry<MetricDescriptor>('metric')
  .register(accuracy)
  .register(topKAccuracy)
  .register(macroF1Metric)
  .register(auc)
  .register(mae)
  .register(rmse)
  .register(r2)
  .register(tokenAccuracy)
  .register(entityPrecision)
  .register(entityRecall)
  .register(entityF1);

export type { MetricContext, MetricDescriptor, MetricFn, MetricInput } from './types';
