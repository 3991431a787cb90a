// Owns the registry of layer types and activationOf(), the activation a layer ends with.
import { Registry } from '../registry';
import type { LayerDescriptor } from './types';
import { activationLayer } from './activation';
import { addLayer } from './add';
import { averageLayer } from './average';
import { concatenateLayer } from './concatenate';
import { distanceLayer } from './distance';
import { maskedMeanLayer } from './masked-mean';
import { multiplyLayer } from './multiply';
import { subtractLayer } from './subtract';
import { averagePooling1dLayer } from './average-pooling-1d';
import { averagePooling2dLayer } from './average-pooling-2d';
import { batchNormalizationLayer } from './batch-normalization';
import { bidirectionalLayer } from './bidirectional';
import { conv1dLayer } from './conv1d';
import { conv2dLayer } from './conv2d';
import { crfLayer } from './crf';
import { bilstmLayer } from './bilstm';
import { lenetLayer } from './lenet';
import { mlpLayer } from './mlp';
import { mobilenetV2Layer } from './mobilenet-v2';
import { resnetLayer } from './resnet';
import { transformerEncoderLayer } from './transformer-encoder';
import { denseLayer } from './dense';
import { dropoutLayer } from './dropout';
import { embeddingLayer } from './embedding';
import { flattenLayer } from './flatten';
import { globalAveragePooling1dLayer } from './global-average-pooling-1d';
import { globalAveragePooling2dLayer } from './global-average-pooling-2d';
import { globalMaxPooling1dLayer } from './global-max-pooling-1d';
import { globalMaxPooling2dLayer } from './global-max-pooling-2d';
import { gruLayer } from './gru';
import { layerNormalizationLayer } from './layer-normalization';
import { lstmLayer } from './lstm';
import { maxPooling1dLayer } from './max-pooling-1d';
import { maxPooling2dLayer } from './max-pooling-2d';
import { conv2dTransposeLayer } from './conv-2d-transpose';
import { cropping2dLayer } from './cropping-2d';
import { upSampling2dLayer } from './up-sampling-2d';
import { zeroPadding2dLayer } from './zero-padding-2d';
import { reshapeLayer } from './reshape';

export const layers = new Registry<LayerDescriptor>('layer type')
  .register(denseLayer)
  .register(conv1dLayer)
  .register(conv2dLayer)
  .register(conv2dTransposeLayer)
  .register(upSampling2dLayer)
  .register(zeroPadding2dLayer)
  .register(cropping2dLayer)
  .register(maxPooling1dLayer)
  .register(maxPooling2dLayer)
  .register(averagePooling1dLayer)
  .register(averagePooling2dLayer)
  .register(globalAveragePooling1dLayer)
  .register(globalAveragePooling2dLayer)
  .register(globalMaxPooling1dLayer)
  .register(globalMaxPooling2dLayer)
  .register(flattenLayer)
  .register(dropoutLayer)
  .register(batchNormalizationLayer)
  .register(layerNormalizationLayer)
  .register(embeddingLayer)
  .register(lstmLayer)
  .register(gruLayer)
  .register(bidirectionalLayer)
  .register(activationLayer)
  .register(reshapeLayer)
  .register(concatenateLayer)
  .register(addLayer)
  .register(multiplyLayer)
  .register(averageLayer)
  .register(subtractLayer)
  .register(distanceLayer)
  .register(maskedMeanLayer)
  .register(crfLayer)
  .register(mlpLayer)
  .register(lenetLayer)
  .register(resnetLayer)
  .register(mobilenetV2Layer)
  .register(bilstmLayer)
  .register(transformerEncoderLayer);

/** The layer types whose output ends with their own `activation` option (mlp and lenet apply theirs inside). */
const ENDS_WITH_ACTIVATION = new Set(['dense', 'conv1d', 'conv2d', 'conv2dTranspose', 'lstm', 'gru']);

/**
 * The activation the layer's output ends with: `activation` of dense/conv/lstm/gru (their schema
 * default when unset) and of the activation layer; undefined for layers without one (pooling, dropout,
 * bidirectional, normalisation, ...), whose output is whatever came before.
 */
export function activationOf(type: string, args: Record<string, unknown> | null | undefined): string | undefined {
  const set = args && typeof args.activation === 'string' ? args.activation : undefined;
  if (type === 'activation') return set;
  if (!ENDS_WITH_ACTIVATION.has(type)) return undefined;
  const option = (layers.get(type).schema.properties as Record<string, { default?: string }>).activation;
  return set ?? option.default;
}

export type { LayerContext, LayerDescriptor, LayerArgs } from './types';
