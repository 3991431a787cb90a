// Owns the parameter budget: a model whose weights would not fit in memory (units: 1e6) is refused with
// its parameter count and size before its weights are allocated, instead of an out-of-memory abort or
// "Invalid typed array length" from deep inside tfjs.
import * as tf from '@tensorflow/tfjs';

/**
 * At most this many parameters (400 MB of float32 weights; training holds about four times that:
 * weights, gradients and Adam's two moments). docs/spec.md ("Limits") states it.
 */
export const MAX_PARAMETERS = 100_000_000;

export interface ParameterCount {
  parameters: number;
  /** The largest weight: its layer/name and shape. */
  largest: { name: string; shape: number[]; size: number };
  /** false when the build stopped early: the count is a lower bound. */
  complete: boolean;
}

type AddWeight = (this: tf.layers.Layer, name: string, shape: number[], ...rest: unknown[]) => unknown;

/**
 * Runs `build` (a symbolic model build) while counting every weight a layer adds. Once the count passes
 * `max`, later weights are created with all dimensions 1, so that no large tensor is allocated and the
 * build can still finish and count the rest. Returns build's result, or the count when over budget
 * (the partly built model is then disposed). The patch on tfjs' Layer.addWeight lives only during
 * the call: layers of every kind (cells of recurrent layers, blocks' sub-layers) add weights there.
 */
export function withParameterBudget<T>(max: number, build: () => T, dispose: (built: T) => void): { result: T } | { over: ParameterCount } {
  const proto = tf.layers.Layer.prototype as unknown as { addWeight: AddWeight };
  const original = proto.addWeight;
  let parameters = 0;
  let largest = { name: '', shape: [] as number[], size: 0 };
  proto.addWeight = function (this: tf.layers.Layer, name: string, shape: number[], ...rest: unknown[]) {
    const size = shape.reduce((a, b) => a * b, 1);
    parameters += size;
    if (size > largest.size) largest = { name: `${this.name}/${name}`, shape: [...shape], size };
    return original.call(this, name, parameters > max ? shape.map(() => 1) : shape, ...rest);
  };
  let result: T | undefined;
  let complete = false;
  try {
    result = build();
    complete = true;
  } catch (e) {
    if (parameters <= max) throw e;
  } finally {
    proto.addWeight = original;
  }
  if (parameters <= max) return { result: result! };
  if (result !== undefined) dispose(result);
  return { over: { parameters, largest, complete } };
}

/** "4,624,004,000 parameters (17.2 GiB as float32)". */
export function describeParameters(n: number): string {
  const bytes = n * 4;
  const units: Array<[number, string]> = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  const [div, unit] = units.find(([d]) => bytes >= d) ?? [1, 'bytes'];
  return `${n.toLocaleString('en-US')} parameters (${(bytes / div).toFixed(div === 1 ? 0 : 1)} ${unit} as float32)`;
}
