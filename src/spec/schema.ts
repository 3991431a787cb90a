// Owns the JSON Schema of a spec, assembled from the component registries so that adding a
// component extends validation, `mtl list`, the committed schema file and the README at once.
import { architectures } from '../architectures/index';
import { pretrainedSchema } from '../model/pretrained';
import { dataRecipes } from '../data/index';
import { layers } from '../layers/index';
import { losses } from '../losses/index';
import { metrics } from '../metrics/index';
import { optimizers } from '../optim/optimizers';
import { schedules } from '../optim/schedules';
import type { Descriptor, JSONSchema, Registry } from '../registry';
import { TASK_TYPES } from '../tasks';
import { strategies } from '../weighting/index';
import { COMMON_WEIGHTING_OPTIONS } from '../weighting/options';
import { weightScheduleSchema } from '../weighting/weight-schedule';

export const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_]*$';

/**
 * `{<discriminator>: <type>, ...options}`: the discriminator is an enum of the registered types, and
 * for each type an if/then applies that component's own schema (so unknown options are errors).
 */
function discriminated(reg: Registry<Descriptor>, key: string, description: string, common: Record<string, JSONSchema> = {}): JSONSchema {
  return {
    type: 'object',
    description,
    required: [key],
    // `common`: options every component of this kind accepts (e.g. weighting.updateEvery), in every branch.
    properties: { [key]: { type: 'string', enum: reg.types(), description: `One of: ${reg.types().join(', ')}` }, ...common },
    allOf: reg.list().map((d) => ({
      if: { properties: { [key]: { const: d.type } }, required: [key] },
      then: {
        ...d.schema,
        properties: { [key]: { const: d.type, description: d.description }, ...common, ...((d.schema.properties as object) ?? {}) },
        additionalProperties: false,
      },
    })),
  };
}

/** A layer is a one-key object: `- conv2d: {filters: 10, kernelSize: 9}`. */
function layerItem(): JSONSchema {
  return {
    type: 'object',
    description: 'One layer: a single key naming the layer type, whose value holds its arguments',
    minProperties: 1,
    maxProperties: 1,
    propertyNames: { enum: layers.types() },
    properties: Object.fromEntries(layers.list().map((d) => [d.type, { description: d.description, ...d.schema }])),
  };
}

/** A graph backbone (src/model/graph-spec.ts): named submodels and nodes wired by name. */
function graphSchema(): JSONSchema {
  const layerList = { type: 'array', items: { $ref: '#/definitions/layer' }, minItems: 1 };
  return {
    type: 'object',
    description: 'A graph of named nodes: {submodels, nodes, outputs}',
    additionalProperties: false,
    required: ['nodes', 'outputs'],
    properties: {
      submodels: {
        type: 'object',
        default: {},
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: { ...layerList, description: 'A layer list; every node that applies it shares its weights' },
        description: 'Named layer lists that nodes apply (one set of weights however often applied)',
      },
      nodes: {
        type: 'object',
        minProperties: 1,
        propertyNames: { pattern: NAME_PATTERN },
        description: 'Named nodes: each applies a submodel, one layer or a layer list to its inputs',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          required: ['inputs'],
          properties: {
            apply: { type: 'string', description: 'Name of a submodel to apply (weights shared with every other node applying it)' },
            layer: { $ref: '#/definitions/layer' },
            layers: { ...layerList, description: 'Layers of this node only, applied in order' },
            inputs: { type: 'array', minItems: 1, items: { type: 'string' }, description: 'Input or node names; several only for a merge layer (concatenate, add, multiply, average, subtract, distance)' },
            task: { type: 'string', description: "The task this node belongs to (a per-task decoder reading shared encoder outputs, U-Net style): its layers are that task's parameters, not shared ones; only nodes of the same task may read it (hard sharing)" },
          },
        },
      },
      outputs: { type: 'array', minItems: 1, items: { type: 'string' }, description: 'Nodes the heads can read (tasks.<t>.from); a head without from reads the only one' },
    },
  };
}

/** The quantity best-checkpoint and early stopping watch, and which way is better. */
const monitor = {
  type: 'string',
  pattern: '^((train|val)\\.([A-Za-z][A-Za-z0-9_]*\\.)?[A-Za-z0-9_-]+|delta-m)$',
  description: 'Quantity to watch: val.loss, train.loss, val.<task>.loss, val.<task>.<metric>, or delta-m (Δm% on validation against `baselines`, higher is better)',
};
const mode = { type: 'string', enum: ['auto', 'min', 'max'], default: 'auto', description: 'auto: min for losses, the metric\'s direction otherwise' };

/** inputs: the model inputs by name, with shape and dtype. */
function inputsSchema(): JSONSchema {
  return {
    type: 'object',
    description: 'Model inputs by name',
    minProperties: 1,
    propertyNames: { pattern: NAME_PATTERN },
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      required: ['shape'],
      properties: {
        shape: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1 }, description: 'Shape of one example, without the batch axis' },
        dtype: { type: 'string', enum: ['float32', 'int32'], default: 'float32', description: 'int32 for token ids fed to an embedding' },
      },
    },
  };
}

/** features: the inputs combined into one vector, each id input through its own embedding table. */
function featuresSchema(): JSONSchema {
  return {
    type: 'object',
    minProperties: 1,
    propertyNames: { pattern: NAME_PATTERN },
    description: 'Every input once, in the order of the combined vector the backbone reads: an int32 id input (data encoding: embedding) looked up in an embedding table of its own, a float32 input as it is; concatenated (recommender-style categorical + numeric fields)',
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      properties: {
        embedding: { type: 'integer', minimum: 1, description: 'int32 ids: the size of each vector of this input\'s embedding table' },
        inputDim: { type: 'integer', minimum: 1, description: 'Rows of the table (largest id + 1). Default: the ids the data can carry (vocabulary, or hashing buckets + 2)' },
      },
    },
  };
}

/** backbone: a layer list, a graph, or a pretrained model. */
function backboneSchema(): JSONSchema {
  return {
    type: ['array', 'object'],
    if: { type: 'array' },
    then: { items: { $ref: '#/definitions/layer' } },
    // An object is a graph, or with `from` a pretrained model.
    else: { if: { required: ['from'] }, then: { $ref: '#/definitions/pretrained' }, else: { $ref: '#/definitions/graph' } },
    default: [],
    description: 'Layers applied in order to the input (several inputs are concatenated on the last axis first), or a graph {submodels, nodes, outputs}, or a pretrained model {from, trainable, unfreezeAfter}; shared as `architecture` says',
  };
}

/** tasks: one head, loss, metrics and weight per task. */
function tasksSchema(): JSONSchema {
  return {
    type: 'object',
    description: 'One entry per task: its head, loss, metrics and weight',
    minProperties: 1,
    propertyNames: { pattern: NAME_PATTERN },
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'head', 'loss'],
      properties: {
        type: { type: 'string', enum: [...TASK_TYPES], description: 'What the task predicts' },
        head: { type: 'array', items: { $ref: '#/definitions/layer' }, minItems: 1, description: 'Task-specific layers after the backbone; the last one is the task output' },
        from: { type: 'string', description: 'Output of a graph backbone this head reads (default: its only output)' },
        loss: { $ref: '#/definitions/loss' },
        metrics: { type: 'array', items: { $ref: '#/definitions/metric' }, default: [], description: 'Metrics reported per epoch and by eval' },
        weight: {
          anyOf: [{ type: 'number', minimum: 0 }, weightScheduleSchema],
          description: 'Loss weight for static weighting (default 1), or a schedule over epochs: {type: constant | linear | cosine | steps, ...} (docs/training-control.md)',
        },
        auxiliary: { type: 'boolean', description: 'An auxiliary task: trained and reported, but left out of the combined loss (val.loss, train.loss: best checkpoint, early stopping), of Δm% in compare, and of predict unless --auxiliary' },
        weightSchedule: { ...weightScheduleSchema, description: 'Written by validation when weight is a schedule (weight then holds its last-epoch value)' },
      },
    },
  };
}

/** train: epochs, batches, optimizer, schedule, clipping, non-finite rule, validation, early stopping. */
function trainSchema(): JSONSchema {
  return {
    type: 'object',
    description: 'Training settings',
    additionalProperties: false,
    default: {},
    properties: {
      epochs: { type: 'integer', minimum: 1, default: 10, description: 'Passes over the training data' },
      batchSize: { type: 'integer', minimum: 1, default: 32, description: 'Examples per step' },
      stepsPerEpoch: { type: ['integer', 'null'], minimum: 1, default: null, description: 'Cap on steps per epoch (null: the whole training set)' },
      shuffle: { type: 'boolean', default: true, description: 'Reshuffle the training set every epoch (seeded)' },
      optimizer: { ...discriminated(optimizers, 'type', 'Optimizer: a name or {type, ...options}'), default: { type: 'adam' } },
      schedule: { ...discriminated(schedules, 'type', 'Learning-rate schedule'), default: { type: 'constant' } },
      clipNorm: { type: ['number', 'null'], exclusiveMinimum: 0, default: null, description: 'Clip the global gradient norm to this value (null: no clipping)' },
      paramGroups: {
        type: 'array',
        default: [],
        description: 'Learning-rate multiplier and weight decay per group of variables; the first entry matching a variable decides (docs/training-control.md)',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['match'],
          properties: {
            match: { type: 'string', minLength: 1, description: 'backbone (or shared), architecture (units such as cross-stitch), heads.<task>, or a glob (* and ?) on layer or variable names; must match a trainable variable' },
            lrMultiplier: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'The learning rate of these variables is the scheduled rate times this' },
            weightDecay: { type: ['number', 'null'], minimum: 0, default: null, description: "Weight decay of these variables, applied the optimizer's way (null: the optimizer's)" },
          },
        },
      },
      onNonFinite: {
        type: 'string',
        enum: ['stop', 'skip-batch'],
        default: 'stop',
        description: 'A step whose loss or gradient is NaN/Inf is never applied; then stop the run (exit 5, checkpoints stay the last good ones) or skip the batch',
      },
      maxSkippedSteps: { type: 'integer', minimum: 0, default: 10, description: 'With onNonFinite: skip-batch, stop the run when more steps than this were skipped' },
      validation: {
        anyOf: [{ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, { type: 'string', enum: ['test', 'none'] }],
        default: 0.1,
        description: 'Fraction of the training set held out for validation, "test" to validate on the test split, or "none"',
      },
      evaluateTest: { type: 'boolean', default: true, description: 'After training, evaluate the best checkpoint on the test split (when the data has one)' },
      earlyStopping: {
        type: ['object', 'null'],
        additionalProperties: false,
        default: null,
        properties: {
          monitor: { ...monitor, default: 'val.loss' },
          mode,
          patience: { type: 'integer', minimum: 1, default: 5, description: 'Epochs without improvement before stopping' },
          minDelta: { type: 'number', minimum: 0, default: 0, description: 'Smallest change that counts as an improvement' },
        },
        description: 'Stop when the monitored value stops improving (null: never)',
      },
      seeds: { type: 'integer', minimum: 1, default: 1, description: 'Train this many runs, under seeds s, s+1, … (s: seed), into one parent folder, as `mtl train --seeds N` (the flag wins)' },
    },
  };
}

/** stages: an ordered list of training stages (docs/training-control.md#stages; src/spec/stages.ts checks them). */
function stagesSchema(): JSONSchema {
  const patterns = (what: string) => ({
    type: 'array',
    items: { type: 'string', minLength: 1 },
    default: [],
    description: `${what}: backbone (or shared), architecture, heads.<task>, or globs (* and ?) on layer or variable names; each must match a variable`,
  });
  return {
    type: 'array',
    minItems: 1,
    description: 'Training in stages, in order: each runs some epochs with some tasks active and some layers frozen (docs/training-control.md#stages)',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'epochs'],
      properties: {
        name: { type: 'string', pattern: NAME_PATTERN, description: 'Stage name (metrics.json epochs[].stage, --stage of plot-model and summary)' },
        epochs: { type: 'integer', minimum: 1, description: 'Epochs of this stage; the stages together make train.epochs' },
        tasks: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' }, description: 'Tasks trained in this stage (default: all); the others contribute no loss and their heads are frozen' },
        freeze: patterns('Variables frozen from this stage on (until a later stage unfreezes them)'),
        unfreeze: patterns('Variables frozen by an earlier stage that train again from this stage on'),
        optimizer: discriminated(optimizers, 'type', 'The optimizer of this stage (default: train.optimizer); a stage whose optimizer differs from the previous stage\'s starts with fresh optimizer state'),
        learningRate: { type: 'number', exclusiveMinimum: 0, description: "The base learning rate of this stage (default: the stage's optimizer's); train.schedule applies to it; the optimizer state is kept" },
        weighting: discriminated(strategies, 'method', "Weighting of this stage (default: the top-level weighting); a stage whose weighting differs from the previous stage's starts a fresh strategy", COMMON_WEIGHTING_OPTIONS),
      },
    },
  };
}

/** checkpoint: which epoch is kept as checkpoints/best. */
function checkpointSchema(): JSONSchema {
  return {
    type: 'object',
    description: 'Which epoch is kept as checkpoints/best (checkpoints/last is written every epoch), and the optional extra checkpoints',
    additionalProperties: false,
    default: {},
    properties: {
      monitor: { ...monitor, default: 'val.loss', description: `${monitor.description}; chooses checkpoints/best` },
      mode,
      perTask: {
        type: 'boolean',
        default: false,
        description: "Also keep checkpoints/best-<task> per task, chosen by the task's first metric (its loss when it has none) on validation (on train with validation: none)",
      },
      everySteps: {
        type: ['integer', 'null'],
        minimum: 1,
        default: null,
        description: 'Also write checkpoints/last every this many steps of the run inside an epoch; --resume continues from that step, as an uninterrupted run (null: at epoch ends only)',
      },
      keep: { type: ['integer', 'null'], minimum: 1, default: null, description: 'Also keep checkpoints/epoch-<n> of this many most recent epochs, the oldest removed after each commit (null: none)' },
    },
  };
}

/** baselines: earlier runs that Δm% is measured against every epoch (src/eval/baselines.ts). */
function baselinesSchema(): JSONSchema {
  const folder = { type: 'string', minLength: 1 };
  return {
    anyOf: [folder, { type: 'object', minProperties: 1, propertyNames: { pattern: NAME_PATTERN }, additionalProperties: folder }],
    description:
      "Earlier runs Δm% is measured against after every epoch (metrics.json epochs[].deltaM; monitor: delta-m): a single-task baseline folder (mtl train --single-task), a run or seed-group folder, or {task: folder}; relative to the spec's folder. Each task's baseline is its run's validation metrics at that run's best epoch",
  };
}

/** output: where run folders go. */
function outputSchema(): JSONSchema {
  return {
    type: 'object',
    description: 'Where run folders go',
    additionalProperties: false,
    default: {},
    properties: {
      dir: { type: 'string', default: 'runs', description: 'Parent folder of run folders (<dir>/<name>-<timestamp>); relative to the working directory' },
    },
  };
}

export function buildSchema(): JSONSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://mtl.dev/schema/mtl.schema.json',
    title: 'mtl spec',
    description: 'A multi-task model, its data and its training, for the mtl command-line tool',
    type: 'object',
    additionalProperties: false,
    required: ['data', 'inputs', 'tasks'],
    definitions: {
      layer: layerItem(),
      graph: graphSchema(),
      pretrained: pretrainedSchema,
      loss: discriminated(losses, 'type', 'The task loss: a name, or {type, ...options}'),
      metric: discriminated(metrics, 'type', 'A metric: a name, or {type, ...options}'),
    },
    properties: {
      $schema: { type: 'string', description: 'Editor hint; ignored' },
      name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', default: 'mtl', description: 'Run name (prefix of the run folder)' },
      seed: { type: 'integer', minimum: 0, default: 42, description: 'Seed of every random choice: initialisation, shuffling, dropout, data recipes' },
      data: discriminated(dataRecipes, 'type', 'Where the examples come from'),
      inputs: inputsSchema(),
      features: featuresSchema(),
      backbone: backboneSchema(),
      architecture: {
        ...discriminated(architectures, 'type', 'How the backbone is shared between the tasks: a name or {type, ...options}'),
        default: { type: 'hard' },
      },
      tasks: tasksSchema(),
      weighting: { ...discriminated(strategies, 'method', 'How task losses or gradients are combined', COMMON_WEIGHTING_OPTIONS), default: { method: 'static' } },
      train: trainSchema(),
      stages: stagesSchema(),
      checkpoint: checkpointSchema(),
      baselines: baselinesSchema(),
      output: outputSchema(),
    },
  };
}
