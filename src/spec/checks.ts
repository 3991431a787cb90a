// Owns the checks no JSON Schema can express: losses and metrics that fit their task type, weights
// naming real tasks, data that provides the declared inputs and tasks, monitors that exist, and a
// symbolic build of the graph to catch shape errors (reported against the layer's YAML line).
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import { dataRecipes } from '../data/index';
import { readBaselinesFor, resolveBaselines } from '../eval/baselines';
import type { DataDescription } from '../data/types';
import { MtlError, type Problem } from '../errors';
import { losses } from '../losses/index';
import { metrics } from '../metrics/index';
import { buildModel, LayerBuildError, type BuiltModel } from '../model/build';
import { describeParameters, MAX_PARAMETERS, withParameterBudget } from '../model/budget';
import { resolveParamGroups } from '../model/param-groups';
import { isPretrainedBackbone, resolvePretrainedPath } from '../model/pretrained';
import type { TaskType } from '../tasks';
import { didYouMean } from '../util/suggest';
import { weightAt, type WeightSchedule } from '../weighting/weight-schedule';
import { checkFeatures } from './features';
import { locate, type LoadedSpec } from './load';
import { checkStages, checkStagesOnModel } from './stages';
import type { MonitorSpec, ResolvedSpec } from './types';

const shapeStr = (s: readonly (number | null)[]) => `(${s.map((d) => d ?? '?').join(', ')})`;

export interface CheckOptions {
  /** Read the `baselines:` folders (false for a run's own config.resolved.yaml: eval needs no baseline). */
  baselines?: boolean;
}

/** Checks `spec` (ajv-valid, defaults filled) in place: fills tasks.<t>.weight and monitor modes. */
export function crossFieldChecks(loaded: LoadedSpec, spec: ResolvedSpec, specDir: string, opts: CheckOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const at: At = (path, p, key = false) => problems.push({ where: locate(loaded, path, { key }), ...p });
  const metricKeys = checkLossesAndMetrics(spec, at);
  // Before the weights: a schedule's last-epoch value needs train.epochs, which stages may fill in.
  checkStages(loaded, spec, at);
  resolveWeights(spec, at);
  if (Object.values(spec.tasks).every((t) => t.auxiliary)) at(['tasks'], { message: 'every task is auxiliary; at least one must be a main task (auxiliary: false)' }, true);

  // A pretrained backbone's path is relative to the spec's folder; resolved once, here.
  if (isPretrainedBackbone(spec.backbone)) {
    resolvePretrainedPath(spec.backbone, specDir);
    if (!fs.existsSync(spec.backbone.from)) at(['backbone', 'from'], { message: `no such file: ${spec.backbone.from}`, allowed: 'the model.json of a tfjs Layers model (relative to the spec\'s folder)' });
  }

  // Data: does the recipe provide these inputs and tasks?
  let described: DataDescription | undefined;
  try {
    described = dataRecipes.get(spec.data.type).describe(spec.data);
  } catch (e) {
    // A recipe's own problems name their key (data.targets.t.classes): each is reported at its line.
    const ps = e instanceof MtlError ? e.problems : [{ where: {}, message: (e as Error).message }];
    for (const { where, ...p } of ps) at(where.path?.startsWith('data') ? pathSegments(where.path) : ['data'], p);
  }
  if (described) checkAgainstData(spec, described, at);
  if (described) checkDataSize(spec, described, at);
  // Without a description the features block cannot be sized: the data problems above say why.
  if (described || !problems.length) checkFeatures(spec, described, at);

  // Monitors: without validation data, the default checkpoint monitor falls back to train.loss.
  if (spec.train.validation === 'none' && spec.checkpoint.monitor === 'val.loss' && loaded.doc.getIn(['checkpoint', 'monitor']) === undefined) spec.checkpoint.monitor = 'train.loss';
  resolveMonitor(spec, metricKeys, spec.checkpoint, ['checkpoint'], at);
  if (spec.train.earlyStopping) resolveMonitor(spec, metricKeys, spec.train.earlyStopping, ['train', 'earlyStopping'], at);
  if (spec.baselines) checkBaselines(spec, specDir, opts.baselines !== false, at);

  if (!problems.length) checkGraph(spec, described, at);
  return problems;
}

type At = (path: (string | number)[], p: Omit<Problem, 'where'>, key?: boolean) => void;

/** `data.tasks.t.train.paths[0]` → ['data', 'tasks', 't', 'train', 'paths', 0] (formatPath's inverse). */
function pathSegments(path: string): (string | number)[] {
  return path.split('.').flatMap((part) => part.split(/\[(\d+)\]/).filter((x) => x !== '').map((x, i) => (i > 0 ? Number(x) : x)));
}

/** Per task, each metric's key → whether higher is better. */
type MetricKeys = Record<string, Map<string, boolean>>;

/** Losses and metrics that fit the task type; no metric twice. */
function checkLossesAndMetrics(spec: ResolvedSpec, at: At): MetricKeys {
  const metricKeys: MetricKeys = {};
  for (const [t, task] of Object.entries(spec.tasks)) {
    const loss = losses.get(task.loss.type);
    if (!loss.taskTypes.includes(task.type)) {
      at(['tasks', t, 'loss'], {
        message: `loss "${loss.type}" does not fit a ${task.type} task`,
        allowed: losses.list().filter((l) => l.taskTypes.includes(task.type)).map((l) => l.type).join(', '),
      });
    }
    // crf-nll reads the transition scores of the crf layer its head ends in.
    const crfHead = Object.keys(task.head[task.head.length - 1] ?? {})[0] === 'crf';
    if (loss.type === 'crf-nll' && !crfHead) {
      at(['tasks', t, 'loss'], { message: 'loss "crf-nll" needs a head that ends in a crf layer', hint: 'end the head with - crf: {numTags: <tags>}' });
    } else if (crfHead && loss.type !== 'crf-nll') {
      at(['tasks', t, 'loss'], { message: `a head that ends in a crf layer is trained with loss "crf-nll", not "${loss.type}"`, hint: 'loss: crf-nll' });
    }
    metricKeys[t] = new Map();
    task.metrics.forEach((m, i) => {
      const d = metrics.get(m.type);
      if (!d.taskTypes.includes(task.type)) {
        at(['tasks', t, 'metrics', i], {
          message: `metric "${d.type}" does not fit a ${task.type} task`,
          allowed: metrics.list().filter((x) => x.taskTypes.includes(task.type)).map((x) => x.type).join(', '),
        });
      }
      const key = d.key(m);
      if (metricKeys[t].has(key)) at(['tasks', t, 'metrics', i], { message: `metric "${key}" is listed twice` });
      metricKeys[t].set(key, d.higherIsBetter);
      checkReads(spec, t, i, at);
    });
  }
  return metricKeys;
}

/** A metric that reads another task (frame-accuracy's `intent`) names a different task of a type it reads. */
function checkReads(spec: ResolvedSpec, t: string, i: number, at: At): void {
  const m = spec.tasks[t].metrics[i];
  const d = metrics.get(m.type);
  const others = Object.keys(spec.tasks).filter((x) => x !== t);
  for (const r of d.reads(m)) {
    const path = ['tasks', t, 'metrics', i, r.option];
    const other = spec.tasks[r.task];
    if (r.task === t) at(path, { message: `${d.type} reads another task than its own ("${t}")`, allowed: others.join(', ') || '(no other task)' });
    else if (!other) at(path, { message: `${d.type} reads unknown task "${r.task}"`, allowed: others.join(', ') || '(no other task)', hint: didYouMean(r.task, others) });
    else if (!r.taskTypes.includes(other.type)) at(path, { message: `${d.type} cannot read task "${r.task}": it is a ${other.type} task`, received: other.type, allowed: r.taskTypes.join(', ') });
  }
}

/** Static weights: tasks.<t>.weight or weighting.weights.<t>, not both; resolved into tasks.<t>.weight. */
function resolveWeights(spec: ResolvedSpec, at: At): void {
  const taskNames = Object.keys(spec.tasks);
  const named = (spec.weighting.weights ?? {}) as Record<string, number>;
  for (const t of Object.keys(named)) {
    if (!spec.tasks[t]) at(['weighting', 'weights', t], { message: `weight for unknown task "${t}"`, allowed: taskNames.join(', '), hint: didYouMean(t, taskNames) }, true);
    else if (spec.tasks[t].weight !== undefined) at(['weighting', 'weights', t], { message: `the weight of task "${t}" is also set at tasks.${t}.weight; keep one` }, true);
  }
  for (const t of taskNames) {
    const task = spec.tasks[t];
    if (typeof task.weight === 'object') task.weightSchedule = task.weight as WeightSchedule;
    if (task.weightSchedule) {
      if (spec.weighting.method !== 'static') at(['tasks', t, 'weight'], { message: `a weight schedule needs weighting.method static`, received: spec.weighting.method });
      // Reported combined losses (and so best-checkpoint monitors) use one fixed weight: the last epoch's.
      task.weight = weightAt(task.weightSchedule, spec.train.epochs);
    }
  }
  for (const t of taskNames) spec.tasks[t].weight = spec.tasks[t].weight ?? named[t] ?? 1;
  // The resolved config keeps each weight in one place (tasks.<t>.weight) so that it re-validates.
  delete spec.weighting.weights;
}

/** Resolves an `auto` mode and makes sure the monitored quantity will exist. */
function resolveMonitor(spec: ResolvedSpec, metricKeys: MetricKeys, m: MonitorSpec | { monitor: string; mode: string }, path: string[], at: At): void {
  const taskNames = Object.keys(spec.tasks);
  const parts = m.monitor.split('.');
  const [split] = parts;
  if (m.monitor === 'delta-m') {
    // Δm% is positive when the run beats its baselines.
    if (!spec.baselines) at([...path, 'monitor'], { message: '"delta-m" needs `baselines:` (the runs Δm% is measured against)', hint: 'baselines: <folder of mtl train --single-task>' });
    if (spec.train.validation === 'none') at([...path, 'monitor'], { message: '"delta-m" is measured on validation data, but train.validation is "none"' });
    if (m.mode === 'auto') (m as MonitorSpec).mode = 'max';
    return;
  }
  let higher = false;
  if (split === 'val' && spec.train.validation === 'none') at([...path, 'monitor'], { message: `"${m.monitor}" needs validation data, but train.validation is "none"`, hint: `use train.${parts.slice(1).join('.')}` });
  if (parts.length === 3) {
    const [, t, q] = parts;
    if (!spec.tasks[t]) at([...path, 'monitor'], { message: `unknown task "${t}" in monitor`, allowed: taskNames.join(', '), hint: didYouMean(t, taskNames) });
    else if (q !== 'loss') {
      const keys = [...(metricKeys[t]?.keys() ?? [])];
      if (!metricKeys[t]?.has(q)) at([...path, 'monitor'], { message: `task "${t}" has no metric "${q}"`, allowed: ['loss', ...keys].join(', '), hint: didYouMean(q, ['loss', ...keys]) });
      else higher = metricKeys[t].get(q) ?? false;
    }
  } else if (parts[1] !== 'loss') {
    at([...path, 'monitor'], { message: `"${m.monitor}" is not a combined quantity`, allowed: `${split}.loss, ${split}.<task>.loss, ${split}.<task>.<metric>` });
  }
  if (m.mode === 'auto') (m as MonitorSpec).mode = higher ? 'max' : 'min';
}

/** baselines: paths made absolute; with `read`, every main task must find its values in a readable folder. */
function checkBaselines(spec: ResolvedSpec, specDir: string, read: boolean, at: At): void {
  spec.baselines = resolveBaselines(spec.baselines!, specDir);
  if (spec.train.validation === 'none') at(['baselines'], { message: 'Δm% per epoch is measured on validation data, but train.validation is "none"' }, true);
  if (!read) return;
  const main = Object.keys(spec.tasks).filter((t) => !spec.tasks[t].auxiliary);
  const map = typeof spec.baselines === 'object' ? spec.baselines : undefined;
  for (const p of readBaselinesFor(spec, spec.baselines!, main).problems) {
    at(map && p.task !== undefined && p.task in map ? ['baselines', p.task] : ['baselines'], { message: p.message, hint: p.hint });
  }
}

function checkAgainstData(spec: ResolvedSpec, d: DataDescription, at: At): void {
  const dataInputs = Object.keys(d.inputs);
  for (const [name, input] of Object.entries(spec.inputs)) {
    const di = d.inputs[name];
    if (!di) {
      at(['inputs', name], { message: `data "${spec.data.type}" has no input "${name}"`, allowed: dataInputs.join(', '), hint: didYouMean(name, dataInputs) }, true);
    } else if (di.shape.join(',') !== input.shape.join(',')) {
      at(['inputs', name, 'shape'], { message: `shape does not match the data`, received: input.shape, allowed: JSON.stringify(di.shape) });
    }
  }
  const dataTasks = Object.keys(d.targets);
  for (const [t, task] of Object.entries(spec.tasks)) {
    const dt = d.targets[t];
    if (!dt) at(['tasks', t], { message: `data "${spec.data.type}" has no target for task "${t}"`, allowed: dataTasks.join(', '), hint: didYouMean(t, dataTasks) }, true);
    else if (dt.type !== task.type) at(['tasks', t, 'type'], { message: `the data's "${t}" target is ${dt.type}`, received: task.type, allowed: dt.type });
  }
  if (spec.train.validation === 'test' && !d.splits.includes('test')) at(['train', 'validation'], { message: `data "${spec.data.type}" has no test split`, allowed: 'a fraction, or "none"' });
}

/** A per-pixel target's head ends in (batch, h, w, units) on the target's grid. */
function pixelHeadFits(shape: Array<number | null>, pixels: [number, number], type: TaskType, headPath: (string | number)[], at: At): boolean {
  if (shape.length !== 4) {
    at(headPath, { message: `head output has shape ${shapeStr(shape)}; a per-pixel ${type} head must end in (batch, height, width, ${type === 'classification' ? 'classes' : 'values'})`, hint: 'end the decoder with a conv2d (kernelSize: 1, padding: same) over the feature map' });
    return false;
  }
  if (shape[1] !== pixels[0] || shape[2] !== pixels[1]) {
    at(headPath, { message: 'head output size does not match the per-pixel target', received: `${shape[1]}×${shape[2]}`, allowed: `${pixels[0]}×${pixels[1]} (one output per pixel)`, hint: 'use padding: same, and as many upsampling steps (conv2dTranspose, upSampling2d) as pooling steps; cropping2d or zeroPadding2d adjust odd sizes' });
    return false;
  }
  return true;
}

/** Generated and composed datasets (trainSize, testSize) are held in memory: at most this many bytes. */
export const MAX_RECIPE_BYTES = 2 ** 31;

/** A recipe's trainSize/testSize whose rows would not fit in memory (trainSize: 1e9) is a spec error. */
function checkDataSize(spec: ResolvedSpec, d: DataDescription, at: At): void {
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const rowBytes = Object.values(d.inputs).reduce((n, i) => n + 4 * prod(i.shape), 0) + Object.values(d.targets).reduce((n, t) => n + 4 * (t.pixels ? t.pixels[0] * t.pixels[1] * (t.dim ?? 1) : t.steps ?? t.dim ?? 1), 0);
  for (const key of ['trainSize', 'valSize', 'testSize']) {
    const rows = (spec.data as Record<string, unknown>)[key];
    if (typeof rows !== 'number' || rows * rowBytes <= MAX_RECIPE_BYTES) continue;
    at(['data', key], {
      message: `${rows.toLocaleString('en-US')} rows of ${rowBytes.toLocaleString('en-US')} bytes need ${((rows * rowBytes) / 2 ** 30).toFixed(1)} GiB in memory`,
      received: rows,
      allowed: `at most ${Math.floor(MAX_RECIPE_BYTES / rowBytes).toLocaleString('en-US')} rows (${MAX_RECIPE_BYTES / 2 ** 30} GiB)`,
      hint: 'for more data, use your own files with streaming (data type files)',
    });
  }
}

function expectedWidth(type: TaskType, target: DataDescription['targets'][string] | undefined): { ok: (w: number) => boolean; text: string } {
  switch (type) {
    case 'classification':
      return target?.classes ? { ok: (w) => w === target.classes, text: `${target.classes} (one per class)` } : { ok: (w) => w >= 2, text: 'at least 2 (one per class)' };
    case 'binary':
      return { ok: (w) => w === 1, text: '1 (the probability or logit of the positive class)' };
    default:
      return target?.dim ? { ok: (w) => w === target.dim, text: `${target.dim} (one per target column)` } : { ok: (w) => w >= 1, text: 'at least 1' };
  }
}

function checkGraph(spec: ResolvedSpec, d: DataDescription | undefined, at: At): void {
  let built: BuiltModel;
  try {
    // Building allocates the initial weights: the initialisers' temporaries are freed by the scope.
    tf.engine().startScope();
    try {
      const counted = withParameterBudget(MAX_PARAMETERS, () => buildModel(spec), (b) => b.model.dispose());
      if ('over' in counted) {
        const { parameters, largest, complete } = counted.over;
        at([], { message: `the model needs ${complete ? '' : 'at least '}${describeParameters(parameters)}, more than fits in memory`, allowed: `at most ${describeParameters(MAX_PARAMETERS)}`, hint: `the largest weight is ${largest.name} of shape [${largest.shape.join(', ')}] (${describeParameters(largest.size)}); use fewer units or filters, or pool before a dense layer` });
        return;
      }
      built = counted.result;
    } finally {
      tf.engine().endScope();
    }
  } catch (e) {
    if (e instanceof LayerBuildError) {
      at(e.path, { message: e.message, ...(e.hint ? { hint: e.hint } : {}) }, e.key);
      return;
    }
    throw e;
  }
  try {
    for (const p of resolveParamGroups(spec, built).problems) {
      at(['train', 'paramGroups', p.index, 'match'], { message: p.message, ...(p.allowed ? { allowed: p.allowed } : {}), ...(p.hint ? { hint: p.hint } : {}) });
    }
    checkStagesOnModel(spec, built, at);
    built.taskNames.forEach((t, i) => {
      const task = spec.tasks[t];
      const headPath = ['tasks', t, 'head', task.head.length - 1];
      const shape = built.model.outputs[i].shape;
      // A crf head tags every token: its output is (batch, steps, tags).
      const crfHead = Object.keys(task.head[task.head.length - 1])[0] === 'crf';
      // So does the head of a token-level data target (one class index per step).
      const steps = task.type === 'classification' ? d?.targets[t]?.steps : undefined;
      const tokenLevel = crfHead || steps !== undefined;
      const pixels = d?.targets[t]?.pixels;
      if (pixels) {
        if (!pixelHeadFits(shape, pixels, task.type, headPath, at)) return;
      } else if (shape.length !== (tokenLevel ? 3 : 2)) {
        if (tokenLevel) at(headPath, { message: `head output has shape ${shapeStr(shape)}; a token-level ${task.type} head must end in (batch, steps, classes)`, hint: 'keep the steps axis: a recurrent layer with returnSequences: true, or conv1d with padding: same, then dense' });
        else at(headPath, { message: `head output has shape ${shapeStr(shape)}; a ${task.type} head must end in (batch, units)`, hint: 'add flatten or a global pooling layer before the last dense' });
        return;
      }
      if (steps !== undefined && shape[1] !== null && shape[1] !== steps) {
        at(headPath, { message: 'head output steps do not match the data', received: shape[1], allowed: `${steps} (one output per token)`, hint: 'use padding: same on conv1d layers and no pooling over the steps' });
        return;
      }
      const w = shape[shape.length - 1] as number;
      const exp = expectedWidth(task.type, d?.targets[t]);
      if (!exp.ok(w)) at(headPath, { message: `head output width does not fit a ${task.type} task`, received: w, allowed: exp.text });
      const classWeights = task.loss.classWeights;
      if (Array.isArray(classWeights) && classWeights.length !== w) at(['tasks', t, 'loss', 'classWeights'], { message: 'one class weight per head unit', received: classWeights.length, allowed: `${w}` });
      checkTagLists(spec, t, w, d, at);
      const fromLogits = losses.get(task.loss.type).fromLogits(task.loss);
      const act = built.outputActivation[t];
      // softmax normalises over the units: over one unit it is 1 whatever the input, and nothing is learnt.
      if (task.type === 'regression' && act === 'softmax' && w === 1) at(headPath, { message: 'head ends with softmax over 1 unit: its output is always 1, whatever the input', hint: 'drop the activation (linear), or use sigmoid for values in [0, 1]' });
      const want = task.type === 'classification' ? 'softmax' : task.type === 'regression' ? undefined : 'sigmoid';
      if (want && fromLogits && act !== 'linear') {
        at(headPath, { message: `head ends with activation "${act}" but the loss has fromLogits: true (the activation would be applied twice)`, hint: 'remove the activation or set fromLogits: false' });
      } else if (want && !fromLogits && act !== want) {
        at(headPath, { message: `loss "${task.loss.type}" expects probabilities, but the head ends with activation "${act}"`, allowed: `activation: ${want}, or fromLogits: true on the loss` });
      }
    });
    checkEmbeddings(built, d, at);
  } finally {
    built.model.dispose();
  }
}

/** Entity metrics name one tag per head class: an explicit list of that length, or `learn` from the data's categories. */
function checkTagLists(spec: ResolvedSpec, t: string, classes: number, d: DataDescription | undefined, at: At): void {
  spec.tasks[t].metrics.forEach((m, i) => {
    const tags = (m as { tags?: unknown }).tags;
    if (tags === 'learn') {
      if (!d?.targets[t]?.learntNames) at(['tasks', t, 'metrics', i, 'tags'], { message: `tags: learn takes the names the data learns for task ${t}, but data.targets.${t} has no categories: learn`, hint: 'set categories: learn on the target, or list the tags' });
    } else if (Array.isArray(tags) && tags.length !== classes) {
      at(['tasks', t, 'metrics', i, 'tags'], { message: `${m.type} names ${tags.length} tags, but the head has ${classes} classes`, received: tags.length, allowed: `${classes} names in class-index order, or tags: learn` });
    }
  });
}

/** An embedding reading a model input directly needs inputDim ≥ the number of ids the data can produce. */
function checkEmbeddings(built: BuiltModel, d: DataDescription | undefined, at: At): void {
  if (!d) return;
  for (const layer of built.model.layers) {
    if (layer.getClassName() !== 'Embedding') continue;
    const source = layer.inboundNodes[0]?.inboundLayers[0];
    const input = source && source.getClassName() === 'InputLayer' ? d.inputs[source.name] : undefined;
    const inputDim = (layer.getConfig() as { inputDim?: number }).inputDim;
    if (!input?.ids || inputDim === undefined || inputDim >= input.ids) continue;
    const fromFiles = input.idsFrom?.startsWith('data.inputs.');
    at(fromFiles ? ['data', 'inputs', source!.name] : ['data'], {
      message: `embedding "${layer.name}" has inputDim ${inputDim}, but input "${source!.name}" carries ids up to ${input.ids - 1} (${input.idsFrom})`,
      received: inputDim,
      allowed: `inputDim ≥ ${input.ids}`,
      hint: fromFiles ? `set vocabulary: ${inputDim} on data.inputs.${source!.name}, or inputDim: ${input.ids} on the embedding` : `inputDim: ${input.ids}`,
    });
  }
}
