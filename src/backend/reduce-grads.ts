// Owns the gradients of Sum and Mean as a broadcast of dy (the Tile kernel: block copies on wasm,
// wasm-tile.ts) where tfjs multiplies the reshaped dy by a materialised tensor of ones (built in JS
// and uploaded) — a broadcasting Multiply, which tfjs-backend-wasm runs with an index computation per
// element — and for Mean then divides the whole result by the count. Here the count divides dy
// before the broadcast. The values are tfjs's bit for bit: dy·1 = dy, and (dy·1)/n = dy/n element by
// element. Registered for every backend (the gradient registry is global); same results on each.
import * as tf from '@tensorflow/tfjs';

/** x's shape with the reduced axes set to 1 (where dy's values go before the broadcast). */
function expandedShape(x: tf.Tensor, axis: number | number[]): number[] {
  const shape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) shape[a] = 1;
  return shape;
}

/** The gradient of a reduction over `axis`: dy (divided by the count for a mean) at every reduced place. */
function broadcastGradient(kernelName: string, mean: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const shape = expandedShape(x, (attrs as unknown as tf.SumAttrs).axis);
      const d = tf.reshape(dy as tf.Tensor, shape);
      return { x: () => tf.broadcastTo(mean ? tf.div(d, x.size / tf.util.sizeFromShape(shape)) : d, x.shape) };
    },
  };
}

let registered = false;

export function registerReductionGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient(broadcastGradient(tf.Sum, false));
  tf.registerGradient(broadcastGradient(tf.Mean, true));
}
