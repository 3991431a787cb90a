// Owns checkpoint folders: the model files (src/model/files.ts), optimizer state under stable variable
// names, and state.json, written atomically as one folder.
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointError } from '../errors';
import { checkManifest, readJson, readWeights, toBytes, writeModelFiles, type ModelJson } from '../model/files';
import { makeDirs, replaceDirAtomic, writeFileAtomic } from '../util/fs';
import type { Json } from '../weighting/strategy';
import { stableName } from '../weighting/variables';

export interface CheckpointState {
  epoch: number;
  step: number;
  best: { monitor: string; value: number | null; epoch: number | null };
  strategy: Json;
  epochLosses: number[][];
  /** sha256 of each file of the checkpoint folder, checked on load. */
  files?: Record<string, string>;
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

/** The model's weights and the weighting strategy's own variables (uw's log-variances). */
export function variableNames(model: tf.LayersModel, strategyVariables: readonly tf.Variable[] = []): VariableNames {
  const pairs = [...model.weights.map((w) => [w.name, w.originalName]), ...strategyVariables.map((v) => [v.name, stableName(v)])];
  return { toStable: new Map(pairs.map(([n, s]) => [n, s])), fromStable: new Map(pairs.map(([n, s]) => [s, n])) };
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

/** One saved optimizer weight (tfjs-core's NamedTensor), under its stable name. */
export type SavedSlot = { name: string; tensor: tf.Tensor };

/** `adapt` brings a checkpoint of an older layout to the current one (checkpoint-layout.ts). */
export async function restoreOptimizer(opt: tf.Optimizer, dir: string, names: VariableNames, adapt: (slots: SavedSlot[]) => SavedSlot[] = (x) => x): Promise<void> {
  const file = path.join(dir, 'optimizer.json');
  const json = readJson<{ className: string; weightsManifest: ModelJson['weightsManifest']; hidden?: Record<string, number[]> } | null>(file);
  if (json === null || typeof json !== 'object') throw checkpointError([{ where: { file }, message: 'damaged checkpoint file: not an optimizer.json object', received: json }]);
  checkManifest(file, json.weightsManifest);
  if (json.className !== opt.getClassName()) throw checkpointError(`optimizer in ${dir} is ${json.className}, the spec asks for ${opt.getClassName()}`);
  const { specs, data } = readWeights(dir, json.weightsManifest);
  const decoded = tf.io.decodeWeights(data, specs);
  const slots = adapt(specs.map((s) => ({ name: s.name, tensor: decoded[s.name] })));
  await opt.setWeights(slots.map((s) => ({ name: rename(s.name, names.fromStable), tensor: s.tensor })));
  restoreHidden(opt, json.hidden);
}

export interface CheckpointContents {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  names: VariableNames;
  state: CheckpointState;
  metadata: object;
  /** More files of the checkpoint (a mid-epoch checkpoint's partial.bin), checksummed as the others. */
  extra?: Record<string, Uint8Array>;
}

/** Write a whole checkpoint folder atomically (swap of a fully written sibling folder). */
export async function saveCheckpoint(dir: string, c: CheckpointContents): Promise<void> {
  await replaceDirAtomic(dir, (tmp) => writeCheckpoint(tmp, c));
}

const CHECKSUMMED = ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin'];

/** Fill folder `dir` (created if needed): the files, then state.json with each file's sha256. */
export async function writeCheckpoint(dir: string, c: CheckpointContents): Promise<void> {
  makeDirs(dir);
  await writeModelFiles(c.model, dir, c.metadata);
  await writeOptimizerFiles(c.optimizer, dir, c.names);
  for (const [f, data] of Object.entries(c.extra ?? {})) writeFileAtomic(path.join(dir, f), data);
  const files = Object.fromEntries([...CHECKSUMMED, ...Object.keys(c.extra ?? {})].map((f) => [f, sha256(path.join(dir, f))]));
  writeFileAtomic(path.join(dir, 'state.json'), JSON.stringify({ ...c.state, files }, null, 2));
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** state.json of a checkpoint, its fields' types checked (a damaged file is a checkpoint error naming it). */
export function readCheckpointState(dir: string): CheckpointState {
  const file = path.join(dir, 'state.json');
  const st = readJson<CheckpointState | null>(file);
  const bad = (field: string, want: string, got: unknown) =>
    checkpointError([{ where: { file }, message: `damaged checkpoint state: ${field} must be ${want}`, received: got, hint: 'resume from an intact run folder, or train again' }]);
  if (st === null || typeof st !== 'object' || Array.isArray(st)) throw bad('the file', 'a JSON object', st);
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (!count(st.epoch)) throw bad('epoch', 'a whole number', st.epoch);
  if (!count(st.step)) throw bad('step', 'a whole number', st.step);
  if (!Array.isArray(st.epochLosses) || !st.epochLosses.every((l) => Array.isArray(l))) throw bad('epochLosses', 'a list of lists of numbers', st.epochLosses);
  if (st.best !== undefined && (st.best === null || typeof st.best !== 'object')) throw bad('best', 'an object', st.best);
  if (st.files !== undefined && (st.files === null || typeof st.files !== 'object')) throw bad('files', 'an object of sha256 checksums', st.files);
  return st;
}

/** Names of a run's checkpoints: best, last, best-<task> (checkpoint.perTask), epoch-<n> (checkpoint.keep). */
export const CHECKPOINT_NAME = /^(best|last|best-[A-Za-z][A-Za-z0-9_]*|epoch-[0-9]+)$/;

/** The checkpoints a run has, by name. */
export function checkpointNames(runDir: string): string[] {
  try {
    return fs.readdirSync(path.join(runDir, 'checkpoints')).filter((n) => CHECKPOINT_NAME.test(n)).sort();
  } catch {
    return [];
  }
}

/** Check every file of a checkpoint against the sha256 in its state.json (checkpoints written before checksums pass). */
export function verifyCheckpoint(dir: string): CheckpointState {
  const st = readCheckpointState(dir);
  for (const [f, want] of Object.entries((st.files ?? {}) as Record<string, string>)) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) throw checkpointError([{ where: { file }, message: 'missing checkpoint file (state.json lists it)' }]);
    if (sha256(file) !== want) {
      throw checkpointError([{ where: { file }, message: 'checksum mismatch: the file changed or was damaged after the checkpoint was written (sha256 differs from state.json)', hint: 'use the other checkpoint (--checkpoint last|best) or train again' }]);
    }
  }
  return st;
}
