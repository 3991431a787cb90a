// Owns the registry of losses.
import { Registry } from '../registry';
import type { LossDescriptor } from './types';
import { binaryCrossentropyLoss } from './binary-crossentropy';
import { categoricalCrossentropyLoss } from './categorical-crossentropy';
import { crfNllLoss } from './crf-nll';
import { huberLoss } from './huber';
import { maeLoss } from './mae';
import { mseLoss } from './mse';
import { sparseCategoricalCrossentropyLoss } from './sparse-categorical-crossentropy';

export const losses = new Registry<LossDescriptor>('loss')
  .register(categoricalCrossentropyLoss)
  .register(sparseCategoricalCrossentropyLoss)
  .register(binaryCrossentropyLoss)
  .register(mseLoss)
  .register(maeLoss)
  .register(huberLoss)
  .register(crfNllLoss);

export type { LossAux, LossContext, LossDescriptor, LossFn } from './types';
