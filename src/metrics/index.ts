// Owns the registry of metrics.
import { Registry } from '../registry';
import type { MetricDescriptor } from './types';
import { accuracyMetric } from './accuracy';
import { aucMetric } from './auc';
import { macroF1Metric } from './macro-f1';
import { maeMetric } from './mae';
import { r2Metric } from './r2';
import { rmseMetric } from './rmse';
import { topKAccuracyMetric } from './top-k-accuracy';
import { tokenAccuracyMetric } from './token-accuracy';
import { meanIouMetric } from './mean-iou';
import { entityPrecisionMetric } from './entity-precision';
import { entityRecallMetric } from './entity-recall';
import { entityF1Metric } from './entity-f1';
import { exactMatchMetric } from './exact-match';
import { frameAccuracyMetric } from './frame-accuracy';

export const metrics = new Registry<MetricDescriptor>('metric')
  .register(accuracyMetric)
  .register(topKAccuracyMetric)
  .register(macroF1Metric)
  .register(aucMetric)
  .register(maeMetric)
  .register(rmseMetric)
  .register(r2Metric)
  .register(tokenAccuracyMetric)
  .register(meanIouMetric)
  .register(entityPrecisionMetric)
  .register(entityRecallMetric)
  .register(entityF1Metric)
  .register(exactMatchMetric)
  .register(frameAccuracyMetric);

export type { MetricContext, MetricDescriptor, MetricFn, MetricInput, ReadTask } from './types';
