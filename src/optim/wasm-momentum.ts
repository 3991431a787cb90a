// Owns SGD with momentum's update on the WASM backend as one pass per variable (optim.c's
// momentum_update), in place of tfjs's MomentumOptimizer's four kernels per variable (each with its
// engine overhead: ~250 kernels a step for a ResNet-18's 62 variables). The update is tfjs's
// (Sutskever et al. 2013, "On the importance of initialization and momentum in deep learning",
// http://proceedings.mlr.press/v28/sutskever13.html, in tfjs's form):
//   acc ← m·acc + g;  θ ← c·acc + θ  (Nesterov: θ ← c·(g + acc·m) + θ),  c = −lr,
// with m and c read from the optimizer's own scalar tensors and each operation rounded to float32 as
// tfjs's kernels round it, so the result is tfjs's bit for bit. The accumulations are the optimizer's
// own variables (same names, getWeights/setWeights and checkpoints unchanged), written in place; the
// weights get new buffers (see wasm-adam.ts). Other backends, a missing module, and an accumulation
// whose memory another tensor shares keep tfjs's own update.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND, heapF32, type Info } from '../backend/wasm-ops';
import { heapOffset, simdKernels } from '../backend/wasm-simd';
import { replace, updateWork, withUpdate, type Grads } from './wasm-adam';

/** The MomentumOptimizer fields the update reads and writes (tfjs keeps them protected). */
interface MomentumState {
  m: tf.Scalar;
  c: tf.Scalar;
  useNesterov: boolean;
  accumulations: Array<{ originalName: string; variable: tf.Variable }>;
  incrementIterations(): void;
}

/** One momentum step (accumulations in place, weights into new buffers); false (nothing changed) when it cannot run here. */
function update(o: MomentumState, grads: Grads): boolean {
  const backend = tf.getBackend() === BACKEND ? (tf.backend() as unknown as BackendWasm) : undefined;
  const k = simdKernels(backend);
  if (!backend || !k) return false;
  const work = updateWork(backend, grads, (i, name, value) => {
    o.accumulations[i] ??= { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    return [o.accumulations[i].variable];
  });
  if (!work || ![o.m, o.c].every((t) => backend.dataIdMap.has(t.dataId))) return false;
  const [m, c] = [o.m, o.c].map((t) => heapF32(backend, t as unknown as Info)[0]);
  const p = (t: tf.Tensor | Info) => heapOffset(backend, t as unknown as Info);
  for (const { value, g, slots: [acc] } of work) {
    const fresh = backend.makeOutput(value.shape, 'float32');
    k.momentum_update(value.size, p(value), p(g), p(acc), p(fresh), m, c, o.useNesterov ? 1 : 0);
    replace(value, fresh);
  }
  o.incrementIterations();
  return true;
}

/** Gives a tfjs momentum optimizer this update on wasm (its own update elsewhere). */
export const withWasmMomentum = (optimizer: tf.MomentumOptimizer): tf.MomentumOptimizer => withUpdate(optimizer, update);
