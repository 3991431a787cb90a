// Owns the text workload of `npm run bench` (issue 16): embedding 1000×64 → BiLSTM(64) over 32 tokens,
// an intent head (global max pooling → dense) and a 127-tag CRF head (crf-nll), Adam, batch 32, on
// synthetic tokens whose lengths average 11 of 32 like the intent corpus. Prints sentences/s of a
// train step and, when `python3 -c 'import torch'` works, the same model in PyTorch
// (bench/text_crf_torch.py, one thread) and mtl ÷ PyTorch. `--profile` prints one step per kernel
// and per phase (embedding, each LSTM direction, CRF forward/backward, heads, optimizer).
import Ajv from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { selectBackend, type BackendName } from '../src/backend/select';
import type { Batch } from '../src/data/batching';
import { taskRuntimes } from '../src/eval/evaluate';
import { crfLayerOf, crfNll, tokenMask } from '../src/layers/crf';
import { buildModel, partitionVariables } from '../src/model/build';
import { optimizers } from '../src/optim/optimizers';
import type { LayerItem, ResolvedSpec } from '../src/spec/types';
import { validateSpecFile, validateSpecText } from '../src/spec/validate';
import { packageRoot } from '../src/util/paths';
import { disposeStepResult, trainStep, type StepParts } from '../src/train/step';
import { mulberry32 } from '../src/util/random';
import { strategies } from '../src/weighting/index';

export const TEXT = { vocab: 1000, dim: 64, units: 64, steps: 32, tags: 127, intents: 20, batch: 32 };

/** The spec as a user would write it for the bundled intent-slots data (validated against its shapes). */
const textSpecYaml = (t = TEXT) => `name: bench-text
seed: 1
data: {type: intent-slots, maxLength: ${t.steps}}
inputs:
  tokens: {shape: [${t.steps}], dtype: int32}
backbone:
  - embedding: {inputDim: 189, outputDim: ${t.dim}}
  - bidirectional: {layer: {lstm: {units: ${t.units}, recurrentActivation: sigmoid, returnSequences: true}}}
tasks:
  intent:
    type: classification
    head: [{globalMaxPooling1d: }, {dense: {units: 6, activation: softmax}}]
    loss: sparse-categorical-crossentropy
  slots:
    type: classification
    head: [{crf: {numTags: 27}}]
    loss: crf-nll
weighting: {method: static}
train: {epochs: 1, batchSize: ${t.batch}, optimizer: {type: adam, learningRate: 0.001}}
`;

/** Sentence lengths 4…18 (mean 11), token ids 2…vocab−1, padding id 0 and mask 0 after the length. */
export function syntheticText(n: number, seed = 3, t = TEXT): { tokens: Int32Array; lengths: Int32Array; tags: Int32Array; intents: Int32Array; mask: Float32Array } {
  const r = mulberry32(seed);
  const tokens = new Int32Array(n * t.steps);
  const tags = new Int32Array(n * t.steps);
  const mask = new Float32Array(n * t.steps);
  const lengths = new Int32Array(n);
  const intents = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    lengths[s] = Math.min(t.steps, 4 + Math.floor(r() * 15));
    intents[s] = Math.floor(r() * t.intents);
    for (let i = 0; i < lengths[s]; i++) {
      tokens[s * t.steps + i] = 2 + Math.floor(r() * (t.vocab - 2));
      tags[s * t.steps + i] = Math.floor(r() * t.tags);
      mask[s * t.steps + i] = 1;
    }
  }
  return { tokens, lengths, tags, intents, mask };
}

function textBatch(t = TEXT): Batch {
  const d = syntheticText(t.batch, 3, t);
  return {
    size: t.batch,
    inputs: { tokens: tf.tensor2d(d.tokens, [t.batch, t.steps], 'int32') },
    targets: { intent: tf.tensor1d(d.intents, 'int32'), slots: tf.tensor2d(d.tags, [t.batch, t.steps], 'int32') },
    masks: { intent: undefined, slots: tf.tensor2d(d.mask, [t.batch, t.steps]) },
  };
}

/** The workload's spec: the intent-slots spec widened to the issue's vocabulary, intents and tags. */
export function textSpec(t = TEXT): ResolvedSpec {
  const spec = structuredClone(validateSpecText(textSpecYaml(t), 'bench-text.yaml').resolved) as ResolvedSpec;
  (spec.backbone as LayerItem[])[0].embedding.inputDim = t.vocab;
  spec.tasks.intent.head[1].dense.units = t.intents;
  spec.tasks.slots.head[0].crf.numTags = t.tags;
  return spec;
}

const ajv = new Ajv({ useDefaults: true, strict: false });
const filled = (schema: object) => {
  const c: Record<string, unknown> = {};
  ajv.compile(schema)(c);
  return c;
};

function stepParts(spec: ResolvedSpec): StepParts {
  const built = buildModel(spec);
  const vars = partitionVariables(built);
  const o = optimizers.get('adam');
  return {
    built,
    lossFns: taskRuntimes(spec).map((x) => x.lossFn),
    strategy: strategies.get('static').create({ method: 'static', ...filled(strategies.get('static').schema) }, { taskNames: built.taskNames, taskWeights: built.taskNames.map(() => 1), seed: 1 }),
    opt: o.create({ ...filled(o.schema), learningRate: 0.001 }, undefined),
    clipNorm: null,
    shared: vars.shared.map((v) => v.read() as tf.Variable),
    heads: built.taskNames.map((x) => vars.heads[x].map((v) => v.read() as tf.Variable)),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median CPU ms of f over `steps` calls after `warmup` (CPU time: robust to other processes' load). */
function cpuMs(f: () => void, steps: number, warmup: number): number {
  const ms: number[] = [];
  for (let k = 0; k < warmup + steps; k++) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    if (k >= warmup) ms.push((c.user + c.system) / 1000);
  }
  return median(ms);
}

export interface TextBenchArgs {
  steps: number;
  warmup: number;
  torch: boolean;
}

/** Sentences/s of one train step of the text workload (median CPU time). */
export function timeTextStep(a: TextBenchArgs, t = TEXT, spec = textSpec(t)): number {
  const parts = stepParts(spec);
  const batch = textBatch(t);
  let step = 0;
  const ms = cpuMs(() => {
    const r = trainStep(parts, batch, { step: step++, epoch: 1, learningRate: 0.001, epochLosses: [] });
    r.taskLosses.dataSync();
    disposeStepResult(r);
  }, a.steps, a.warmup);
  parts.opt.optimizer.dispose();
  parts.built.model.dispose();
  tf.dispose([...Object.values(batch.inputs), ...Object.values(batch.targets), batch.masks.slots!]);
  return (t.batch * 1000) / ms;
}

/** The first Python that imports torch (python3 on PATH, then Debian's, which python3-torch serves), or null. */
function pythonWithTorch(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
      return py;
    } catch {
      // next candidate
    }
  }
  return null;
}

/** PyTorch's sentences/s on the same workload, or null when no python3 imports torch. */
export function torchSentencesPerSecond(a: TextBenchArgs): number | null {
  const py = pythonWithTorch();
  if (!py) return null;
  const script = path.join(__dirname, '..', '..', 'bench', 'text_crf_torch.py');
  const out = execFileSync(py, [script, '--steps', String(a.steps), '--warmup', String(a.warmup), '--threads', '1', '--json'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  return (JSON.parse(out.trim().split('\n').pop()!) as { sentences_per_s: number }).sentences_per_s;
}

/** Sentences/s of a train step of the shipped text configs' models (synthetic batches of their shape). */
export function configsBench(a: TextBenchArgs): void {
  for (const name of ['seed-text-crf-small', 'intent-slots']) {
    const spec = validateSpecFile(path.join(packageRoot(), 'configs', `${name}.yaml`)).resolved;
    const t = { ...TEXT, vocab: 189, steps: spec.inputs.tokens.shape[0], tags: 27, intents: 6, batch: spec.train.batchSize };
    process.stdout.write(`configs/${name}.yaml model, batch ${t.batch}: ${timeTextStep(a, t, spec).toFixed(1)} sentences/s (train step, median CPU time)\n`);
  }
}

export async function textBench(a: TextBenchArgs): Promise<void> {
  const t = TEXT;
  const sps = timeTextStep(a, t);
  process.stdout.write(`text workload (embedding ${t.vocab}×${t.dim}, BiLSTM(${t.units}) over ${t.steps} tokens, max-pool intent head, ${t.tags}-tag CRF, adam, batch ${t.batch}; synthetic, mean length 11): ${sps.toFixed(1)} sentences/s (${tf.getBackend()}, median CPU time of ${a.steps} steps)\n`);
  const torch = a.torch ? torchSentencesPerSecond(a) : null;
  if (torch === null) process.stdout.write('PyTorch reference: skipped (python3 -c "import torch" fails; apt-get install python3-torch)\n');
  else process.stdout.write(`PyTorch reference (bench/text_crf_torch.py, 1 thread): ${torch.toFixed(1)} sentences/s; mtl ÷ PyTorch = ${(sps / torch).toFixed(2)}\n`);
  configsBench(a);
}

// ---- profile ------------------------------------------------------------------------------------

/** CPU ms of one gradient step of a part of the model: forward + loss, backward. */
function phaseRows(t = TEXT): Array<[string, number]> {
  const spec = textSpec(t);
  const parts = stepParts(spec);
  const model = parts.built.model;
  const batch = textBatch(t);
  const byName = (re: RegExp) => model.layers.filter((l) => re.test(l.name) || re.test(l.getClassName()));
  const emb = byName(/^Embedding$/)[0];
  const bidi = byName(/^Bidirectional$/)[0] as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
  const rows: Array<[string, number]> = [];
  const time = (name: string, f: () => tf.Tensor | tf.Tensor[] | void) => rows.push([name, cpuMs(() => tf.dispose(tf.tidy(f) as tf.Tensor), 5, 2)]);
  const grad = (vars: tf.LayerVariable[], f: () => tf.Scalar) => () => {
    const { value, grads } = tf.variableGrads(f, vars.map((v) => v.read() as tf.Variable));
    return [value, ...Object.values(grads)];
  };
  const x = batch.inputs.tokens;
  const e = tf.keep(emb.apply(x) as tf.Tensor);
  time('embedding fwd+bwd', grad(emb.trainableWeights, () => tf.sum(emb.apply(x) as tf.Tensor)));
  for (const [name, layer] of [['lstm forward direction', bidi.forwardLayer], ['lstm backward direction', bidi.backwardLayer]] as const) {
    time(`${name} fwd`, () => layer.call(e, {}) as tf.Tensor);
    time(`${name} fwd+bwd`, grad(layer.trainableWeights, () => tf.sum(layer.call(e, {}) as tf.Tensor)));
  }
  const h = tf.keep(tf.randomNormal([t.batch, t.steps, 2 * t.units], 0, 1, 'float32', 5));
  const crf = crfLayerOf(model, 'slots');
  const crfLoss = () => {
    const s = crf.scores();
    return tf.mean(crfNll(crf.apply(h) as tf.Tensor, batch.targets.slots, tokenMask(batch.targets.slots, batch.masks.slots), s.transitions, s.start, s.end)) as tf.Scalar;
  };
  time('crf nll fwd', crfLoss);
  time('crf nll fwd+bwd', grad(crf.trainableWeights, crfLoss));
  const intent = model.layers.filter((l) => l.getClassName() === 'Dense');
  time('intent head fwd+bwd', grad(intent.flatMap((l) => l.trainableWeights), () => tf.sum(intent[0].apply(tf.max(h, 1)) as tf.Tensor) as tf.Scalar));
  const all = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const gs = all.map((v) => tf.keep(tf.onesLike(v).mul(1e-3)));
  time('adam update', () => parts.opt.optimizer.applyGradients(Object.fromEntries(all.map((v, i) => [v.name, gs[i]]))));
  let step = 0;
  time('whole train step', () => {
    const r = trainStep(parts, batch, { step: step++, epoch: 1, learningRate: 0.001, epochLosses: [] });
    r.taskLosses.dataSync();
    disposeStepResult(r);
  });
  tf.dispose([e, h, ...gs]);
  model.dispose();
  return rows;
}

async function kernelRows(t = TEXT): Promise<Array<[string, number, number]>> {
  const spec = textSpec(t);
  const parts = stepParts(spec);
  const batch = textBatch(t);
  let step = 0;
  const one = () => {
    const r = trainStep(parts, batch, { step: step++, epoch: 1, learningRate: 0.001, epochLosses: [] });
    r.taskLosses.dataSync();
    disposeStepResult(r);
  };
  one();
  const info = await tf.profile(one);
  const agg = new Map<string, [number, number]>();
  for (const k of info.kernels) {
    const v = agg.get(k.name) ?? [0, 0];
    agg.set(k.name, [v[0] + 1, v[1] + (k.kernelTimeMs as number)]);
  }
  parts.built.model.dispose();
  return [...agg.entries()].map(([k, [n, ms]]) => [k, n, ms] as [string, number, number]).sort((p, q) => q[2] - p[2]);
}

export async function textProfile(): Promise<void> {
  const rows = phaseRows();
  process.stdout.write(`per phase (${tf.getBackend()}, median CPU ms of 5 runs)\n| phase | ms |\n|---|---|\n${rows.map(([n, ms]) => `| ${n} | ${ms.toFixed(1)} |`).join('\n')}\n\n`);
  const k = await kernelRows();
  const total = k.reduce((a, r) => a + r[2], 0);
  process.stdout.write(`per kernel, one train step (tf.profile wall ms; ${k.reduce((a, r) => a + r[1], 0)} kernel calls, ${total.toFixed(1)} ms in kernels)\n| kernel | calls | ms |\n|---|---|---|\n${k.slice(0, 20).map(([n, c, ms]) => `| ${n} | ${c} | ${ms.toFixed(1)} |`).join('\n')}\n`);
}

function parse(argv: string[]): TextBenchArgs & { backend: BackendName; profile: boolean } {
  const a = { steps: 10, warmup: 2, torch: true, backend: 'wasm' as BackendName, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i] ?? '';
    if (argv[i] === '--steps') a.steps = Number(next());
    else if (argv[i] === '--warmup') a.warmup = Number(next());
    else if (argv[i] === '--backend') a.backend = next() as BackendName;
    else if (argv[i] === '--no-torch') a.torch = false;
    else if (argv[i] === '--profile') a.profile = true;
    else throw new Error(`unknown argument ${argv[i]} (node dist/bench/text.js [--steps 10] [--warmup 2] [--backend wasm] [--no-torch] [--profile])`);
  }
  return a;
}

if (require.main === module) {
  const a = parse(process.argv.slice(2));
  selectBackend(a.backend)
    .then(() => (a.profile ? textProfile() : textBench(a)))
    .catch((e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    });
}
