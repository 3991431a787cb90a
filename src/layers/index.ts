// Owns the registry of layer types and activationOf(), the activation a layer ends with.
import { Registry } from '../registry';
import type { LayerDescriptor } from './types';
import { activation } from './activation';
import { add } from './add';
import { average } from './average';
import { concatenate } from './concatenate';
import { distance } from './distance';
import { multiply } from './multiply';
import { subtract } from './subtract';
import { averagePooling1d } from './averagePooling1d';
import { averagePooling2d } from './averagePooling2d';
import { batchNormalization } from './batchNormalization';
import { bidirectional } from './bidirectional';
import { conv1d } from './conv1d';
import { conv2d } from './conv2d';
import { crf } from './crf';
import { bilstm } from './bilstm';
import { lenet } from './lenet';
import { mlp } from './mlp';
import { mobilenetV2 } from './mobilenetV2';
import { resnet } from './resnet';
import { transformerEncoder } from './transformerEncoder';
import { dense } from './dense';
import { dropout } from './dropout';
import { embedding } from './embedding';
import { flatten } from './flatten';
import { globalAveragePooling1d } from './globalAveragePooling1d';
import { globalAveragePooling2d } from './globalAveragePooling2d';
import { globalMaxPooling1d } from './globalMaxPooling1d';
import { globalMaxPooling2d } from './globalMaxPooling2d';
import { gru } from './gru';
import { layerNormalization } from './layerNormalization';
import { lstm } from './lstm';
import { maxPooling1d } from './maxPooling1d';
import { maxPooling2d } from './maxPooling2d';
import { reshape } from './reshape';

export const layers = new Registry<LayerDescriptor>('layer type')
  .register(dense)
  .register(conv1d)
  .register(conv2d)
  .register(maxPooling1d)
  .register(maxPooling2d)
  .register(averagePooling1d)
  .register(averagePooling2d)
  .register(globalAveragePooling1d)
  .register(globalAveragePooling2d)
  .register(globalMaxPooling1d)
  .register(globalMaxPooling2d)
  .register(flatten)
  .register(dropout)
  .register(batchNormalization)
  .register(layerNormalization)
  .register(embedding)
  .register(lstm)
  .register(gru)
  .register(bidirectional)
  .register(activation)
  .register(reshape)
  .register(concatenate)
  .register(add)
  .register(multiply)
  .register(average)
  .register(subtract)
  .register(distance)
  .register(crf)
  .register(mlp)
  .register(lenet)
  .register(resnet)
  .register(mobilenetV2)
  .register(bilstm)
  .register(transformerEncoder);

/** The activation a layer's own default is, for the layers that end with one. */
const DEFAULT_ACTIVATION: Record<string, string> = {
  dense: 'linear',
  conv1d: 'linear',
  conv2d: 'linear',
  lstm: 'tanh',
  gru: 'tanh',
};

/**
 * The activation the layer's output ends with: `activation` of dense/conv/lstm/gru (their default when
 * unset) and of the activation layer; undefined for layers without one (pooling, dropout, bidirectional,
 * normalisation, ...), whose output is whatever came before.
 */
export function activationOf(type: string, args: Record<string, unknown> | null | undefined): string | undefined {
  const set = args && typeof args.activation === 'string' ? args.activation : undefined;
  if (type === 'activation') return set;
  if (!Object.prototype.hasOwnProperty.call(DEFAULT_ACTIVATION, type)) return undefined;
  return set ?? DEFAULT_ACTIVATION[type];
}

export type { LayerContext, LayerDescriptor, LayerArgs } from './types';
