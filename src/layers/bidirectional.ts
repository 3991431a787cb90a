// Owns the `bidirectional` layer: an lstm or gru run forwards and backwards, outputs merged.
//
// tfjs's Bidirectional builds its backward layer by deserialising the forward layer's config, seeds
// included, so both directions would start from identical weights. We therefore build the backward
// layer ourselves with fresh seeds and put it in place of the clone before the layer is built.
import * as tf from '@tensorflow/tfjs';
import { obj, oneOf, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { lstmProps, recurrentLayer, recurrentProps, type RecurrentKind } from './recurrent';
import { fuseRecurrent } from './fused-rnn';

export const bidirectionalLayer: LayerDescriptor = layer({
  type: 'bidirectional',
  description: 'Runs an lstm or gru over the sequence in both directions and merges the two outputs',
  options: opts({
    layer: obj(
      {
        lstm: obj(lstmProps, { description: 'Arguments of the lstm, as in an lstm layer' }),
        gru: obj(recurrentProps, { description: 'Arguments of the gru, as in a gru layer' }),
      },
      { required: true, minProperties: 1, maxProperties: 1, description: 'The recurrent layer, as one key: {lstm: {...}} or {gru: {...}}' },
    ),
    mergeMode: oneOf(['concat', 'sum', 'mul', 'ave'], { default: 'concat', description: 'How the two directions are merged' }),
  }),
  create(a, ctx) {
    const inner = a.layer;
    const keys = Object.keys(inner);
    if (keys.length !== 1 || (keys[0] !== 'lstm' && keys[0] !== 'gru')) {
      throw new Error(`layer must have exactly one key, lstm or gru (received ${keys.join(', ') || 'none'})`);
    }
    const kind = keys[0] as RecurrentKind;
    const innerName = `${ctx.name}_${kind}`;
    const forward = recurrentLayer(kind, inner[kind]!, { name: innerName, nextSeed: ctx.nextSeed });
    const backward = recurrentLayer(kind, inner[kind]!, { name: `backward_${innerName}`, nextSeed: ctx.nextSeed, goBackwards: true });
    const layer = tf.layers.bidirectional({ name: ctx.name, layer: forward, mergeMode: a.mergeMode });
    (layer as unknown as { backwardLayer: tf.layers.Layer }).backwardLayer = backward;
    // tfjs rebuilt the forward layer from its config (same weights, stock call): fuse that one.
    fuseRecurrent(kind, (layer as unknown as { forwardLayer: tf.layers.Layer }).forwardLayer);
    return layer;
  },
});
