// Owns checkpoint folders: the model files (src/model/files.ts), optimizer state under stable variable
// names, and state.json, written atomically as one folder.
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { checkpointError } from '../errors';
import { readJson, readWeights, toBytes, writeModelFiles, type ModelJson } from '../model/files';
import { replaceDirAtomic, writeFileAtomic } from '../util/fs';
import type { Json } from '../weighting/strategy';

export interface CheckpointState {
  epoch: number;
  step: number;
  best: { monitor: string; value: number | null; epoch: number | null };
  strategy: Json;
  epochLosses: number[][];
  [k: string]: unknown;
}

/**
 * Optimizer slots are named after tfjs variable names, which get a numeric suffix when a model is
 * built twice in one process; they are stored under the weights' stable original names instead.
 */
export interface VariableNames {
  toStable: Map<string, string>;
  fromStable: Map<string, string>;
}

export function variableNames(model: tf.LayersModel): VariableNames {
  const toStable = new Map<string, string>();
  const fromStable = new Map<string, string>();
  for (const w of model.weights) {
    toStable.set(w.name, w.originalName);
    fromStable.set(w.originalName, w.name);
  }
  return { toStable, fromStable };
}

function rename(name: string, map: Map<string, string>): string {
  // Slot names are "<variable>/<slot>" (Adam: /m, /v) and the variable part may itself contain '/'.
  const whole = map.get(name);
  if (whole !== undefined) return whole;
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const head = map.get(name.slice(0, i));
    if (head !== undefined) return head + name.slice(i);
  }
  return name;
}

export async function writeOptimizerFiles(opt: tf.Optimizer, dir: string, names: VariableNames): Promise<void> {
  const weights = await opt.getWeights();
  const renamed = weights.map((w) => ({ name: rename(w.name, names.toStable), tensor: w.tensor }));
  const { data, specs } = await tf.io.encodeWeights(renamed);
  writeFileAtomic(path.join(dir, 'optimizer.bin'), toBytes(data));
  writeFileAtomic(
    path.join(dir, 'optimizer.json'),
    JSON.stringify({ className: opt.getClassName(), config: opt.getConfig(), weightsManifest: [{ paths: ['optimizer.bin'], weights: specs }], hidden: hiddenVariables(opt) }),
  );
}

/**
 * Variables an optimizer keeps outside getWeights(): Adam's and Adamax's accumulated β powers. tfjs'
 * setWeights recomputes them as pow(β, t+1), which differs in the last float32 bits from the running
 * product the uninterrupted run holds; saving them makes a resumed run bit-identical.
 */
function hiddenVariables(opt: tf.Optimizer): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(opt)) if (v instanceof tf.Variable) out[k] = Array.from(v.dataSync());
  return out;
}

function restoreHidden(opt: tf.Optimizer, hidden: Record<string, number[]> | undefined): void {
  for (const [k, values] of Object.entries(hidden ?? {})) {
    const v = (opt as unknown as Record<string, unknown>)[k];
    if (v instanceof tf.Variable && v.size === values.length) v.assign(tf.tensor(values, v.shape, v.dtype));
  }
}

export async function restoreOptimizer(opt: tf.Optimizer, dir: string, names: VariableNames): Promise<void> {
  const json = readJson<{ className: string; weightsManifest: ModelJson['weightsManifest']; hidden?: Record<string, number[]> }>(path.join(dir, 'optimizer.json'));
  if (json.className !== opt.getClassName()) throw checkpointError(`optimizer in ${dir} is ${json.className}, the spec asks for ${opt.getClassName()}`);
  const { specs, data } = readWeights(dir, json.weightsManifest);
  const decoded = tf.io.decodeWeights(data, specs);
  await opt.setWeights(specs.map((s) => ({ name: rename(s.name, names.fromStable), tensor: decoded[s.name] })));
  restoreHidden(opt, json.hidden);
}

export interface CheckpointContents {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  names: VariableNames;
  state: CheckpointState;
  metadata: object;
}

/** Write a whole checkpoint folder atomically (swap of a fully written sibling folder). */
export async function saveCheckpoint(dir: string, c: CheckpointContents): Promise<void> {
  await replaceDirAtomic(dir, async (tmp) => {
    await writeModelFiles(c.model, tmp, c.metadata);
    await writeOptimizerFiles(c.optimizer, tmp, c.names);
    writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify(c.state, null, 2));
  });
}

export function readCheckpointState(dir: string): CheckpointState {
  return readJson<CheckpointState>(path.join(dir, 'state.json'));
}
