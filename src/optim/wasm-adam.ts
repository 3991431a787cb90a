// Owns Adam's update on the WASM backend as one pass per variable over its memory (optim.c's
// adam_update; a JS loop of the same operations without the module), in place of
// tfjs's ~14 kernels per variable (each with ~10 µs of engine overhead: ~1.5 ms a step for a
// BiLSTM tagger's dozen variables). The update is tfjs's AdamOptimizer's (Kingma & Ba 2015,
// arXiv:1412.6980, Algorithm 1, with tfjs's placement of ε):
//   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
//   θ ← θ − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε);  then β1^t ← β1^t·β1, β2^t ← β2^t·β2,
// each operation rounded to float32 as tfjs's kernels round it, so the result is bit for bit tfjs's
// (a run may switch between the two paths, e.g. after a resume, and stay bit-identical). The slots are the optimizer's own variables (same names,
// same getWeights/setWeights, so checkpoints and resume are unchanged), written in place (a slot whose
// memory another tensor shares makes the whole call fall back to tfjs's own update, as do other
// backends); each weight gets a new buffer (see update).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND, heapF32, type Info } from '../backend/wasm-ops';
import { heapOffset, simdKernels } from '../backend/wasm-simd';

interface Slot {
  originalName: string;
  variable: tf.Variable;
}

/** The AdamOptimizer fields the update reads and writes (tfjs keeps them protected). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  incrementIterations(): void;
}

export type Grads = tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor | null }>;

/** Creates the slots tfjs would create (zeros, not trainable, named <variable>/m and /v). */
function ensureSlots(o: AdamState, i: number, name: string, value: tf.Variable): void {
  const make = (suffix: string): Slot => ({ originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) });
  o.accumulatedFirstMoment[i] ??= make('m');
  o.accumulatedSecondMoment[i] ??= make('v');
}

/** The variable's value becomes `fresh` (a new buffer on the heap, see update). */
export function replace(value: tf.Variable, fresh: Info): void {
  const t = tf.engine().makeTensorFromTensorInfo(fresh);
  value.assign(t);
  t.dispose();
}

/** Whether t is float32 and on the heap, and no other tensor shares its memory (safe to write in place). */
export function owned(backend: BackendWasm, t: tf.Tensor): boolean {
  const d = backend.dataIdMap.get(t.dataId) as { refCount?: number } | undefined;
  return !!d && t.dtype === 'float32' && (d.refCount ?? 1) === 1;
}

/** A variable to update: its value, its gradient and its slots (the optimizer's own variables). */
export interface Work {
  value: tf.Variable;
  g: tf.Tensor;
  slots: tf.Variable[];
}

/**
 * The variables with a gradient, each with the slots slotsOf gives (creating them as tfjs would), or
 * null when one of them cannot be updated in place on this heap (then tfjs's own update runs).
 */
export function updateWork(backend: BackendWasm, grads: Grads, slotsOf: (i: number, name: string, value: tf.Variable) => tf.Variable[]): Work[] | null {
  const names = Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads);
  const work: Work[] = [];
  for (let i = 0; i < names.length; i++) {
    const value = tf.engine().registeredVariables[names[i]];
    const slots = slotsOf(i, names[i], value);
    const g = Array.isArray(grads) ? grads[i].tensor : grads[names[i]];
    if (g == null) continue;
    if (!slots.every((t) => owned(backend, t)) || value.dtype !== 'float32' || g.dtype !== 'float32' || !backend.dataIdMap.has(g.dataId) || !backend.dataIdMap.has(value.dataId)) return null;
    work.push({ value, g, slots });
  }
  return work;
}

/** One Adam step (slots in place, weights into new buffers); false (nothing changed) when it cannot run here. */
function update(o: AdamState, grads: Grads): boolean {
  if (tf.getBackend() !== BACKEND) return false;
  const backend = tf.backend() as unknown as BackendWasm;
  const work = updateWork(backend, grads, (i, name, value) => {
    ensureSlots(o, i, name, value);
    return [o.accumulatedFirstMoment[i].variable, o.accumulatedSecondMoment[i].variable];
  });
  if (!work || ![o.accBeta1, o.accBeta2].every((t) => owned(backend, t))) return false;
  // The constants as tfjs's scalar tensors hold them (float32).
  const f = Math.fround;
  const [b1, b2, a1, a2, lr, eps] = [f(o.beta1), f(o.beta2), f(1 - o.beta1), f(1 - o.beta2), f(o.learningRate), f(o.epsilon)];
  const beta = () => [heapF32(backend, o.accBeta1 as unknown as Info), heapF32(backend, o.accBeta2 as unknown as Info)];
  const [c1, c2] = beta().map((acc) => f(1 - acc[0]));
  // optim.c's adam_update: the same operations four lanes at a time (the loop below without the module).
  const k = simdKernels(backend);
  for (const { value, g, slots: [m, v] } of work) {
    // The new weights go to a new buffer: the wasm backend caches XNNPACK's packed copy of a matMul's or
    // convolution's weights per buffer, so values written in place would leave it stale.
    const fresh = backend.makeOutput(value.shape, 'float32');
    if (k) {
      const p = (t: tf.Tensor | Info) => heapOffset(backend, t as unknown as Info);
      k.adam_update(value.size, p(value), p(g), p(m), p(v), p(fresh), b1, b2, a1, a2, c1, c2, -lr, eps);
      replace(value, fresh);
      continue;
    }
    const [x, nx, gd, md, vd] = [value, fresh, g, m, v].map((t) => heapF32(backend, t as unknown as Info));
    // tfjs's kernels one by one, each rounded to float32 (f): the same bits as its update.
    for (let j = 0; j < x.length; j++) {
      const gj = gd[j];
      const mj = f(f(md[j] * b1) + f(gj * a1));
      const vj = f(f(vd[j] * b2) + f(f(gj * gj) * a2));
      md[j] = mj;
      vd[j] = vj;
      const step = f(f(f(mj / c1) / f(f(Math.sqrt(f(vj / c2))) + eps)) * -lr);
      nx[j] = f(step + x[j]);
    }
    replace(value, fresh);
  }
  const [acc1, acc2] = beta();
  acc1[0] *= b1;
  acc2[0] *= b2;
  o.incrementIterations();
  return true;
}

/** Gives a tfjs optimizer `update` (its own applyGradients wherever update returns false). */
export function withUpdate<O extends tf.Optimizer, State>(optimizer: O, update: (o: State, grads: Grads) => boolean): O {
  const stock = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = ((grads: Grads) => {
    if (!update(optimizer as unknown as State, grads)) stock(grads as Parameters<typeof stock>[0]);
  }) as typeof optimizer.applyGradients;
  return optimizer;
}

/** Gives a tfjs Adam optimizer this update on wasm (its own update elsewhere). */
export const withWasmAdam = (optimizer: tf.AdamOptimizer): tf.AdamOptimizer => withUpdate(optimizer, update);
