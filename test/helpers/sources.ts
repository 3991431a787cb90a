// Reads a whole batch source back into memory (rows in order, no shuffle), so that tests can look at
// a split served batch by batch as they would at an in-memory ArraySet.
import type * as tf from '@tensorflow/tfjs';
import { disposeBatch } from '../../src/data/batching';
import type { BatchSource } from '../../src/data/source';
import type { ArraySet, Column } from '../../src/data/types';

function join(parts: tf.Tensor[]): Column {
  const datas = parts.map((t) => t.dataSync() as Float32Array | Int32Array);
  const Ctor = datas[0] instanceof Int32Array ? Int32Array : Float32Array;
  const data = new Ctor(datas.reduce((n, d) => n + d.length, 0));
  let o = 0;
  for (const d of datas) {
    data.set(d, o);
    o += d.length;
  }
  return { data, shape: parts[0].shape.slice(1) };
}

export async function materialise(source: BatchSource, batchSize = 64): Promise<ArraySet> {
  const inputs: Record<string, tf.Tensor[]> = {};
  const targets: Record<string, tf.Tensor[]> = {};
  let size = 0;
  const held = [];
  for await (const b of source.batches({ batchSize, shuffle: false, seed: 0, epoch: 0 })) {
    for (const [n, t] of Object.entries(b.inputs)) (inputs[n] ??= []).push(t);
    for (const [n, t] of Object.entries(b.targets)) (targets[n] ??= []).push(t);
    size += b.size;
    held.push(b);
  }
  const set: ArraySet = {
    size,
    inputs: Object.fromEntries(Object.entries(inputs).map(([n, ts]) => [n, join(ts)])),
    targets: Object.fromEntries(Object.entries(targets).map(([n, ts]) => [n, join(ts)])),
  };
  held.forEach(disposeBatch);
  return set;
}
