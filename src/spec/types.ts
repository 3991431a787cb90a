// Owns the TypeScript shape of a validated, defaults-filled spec (written as config.resolved.yaml).
// Declarations only: every layer reads them, so in the import order this file sits at the bottom with
// errors and tasks and imports nothing above them (docs/architecture.md).
import type { PathSeg, Where } from '../errors';
import type { TaskType } from '../tasks';

/** `{conv2d: {filters: 10, ...}}`: exactly one key. */
export type LayerItem = Record<string, Record<string, unknown>>;

export interface ComponentConfig {
  type: string;
  [option: string]: unknown;
}

/** A loss weight over epochs (src/weighting/weight-schedule.ts evaluates it). */
export type WeightSchedule =
  | { type: 'constant'; value: number }
  | { type: 'linear' | 'cosine'; from: number; to: number; startEpoch: number; endEpoch: number }
  | { type: 'steps'; initial: number; steps: { epoch: number; value: number }[] };

export interface TaskSpec {
  type: TaskType;
  head: LayerItem[];
  /** Which output of a graph backbone the head reads (default: its only output). */
  from?: string;
  loss: ComponentConfig;
  metrics: ComponentConfig[];
  /** Effective static weight (resolved from tasks.<t>.weight, weighting.weights, default 1); a schedule's last-epoch value. */
  weight: number;
  /** Trained and reported, but out of the combined loss (monitors), Δm% and predictions by default. */
  auxiliary?: boolean;
  /** tasks.<t>.weight given as a schedule over epochs (static weighting only). */
  weightSchedule?: WeightSchedule;
}

/** One entry of train.paramGroups (src/model/param-groups.ts resolves it against the built model). */
export interface ParamGroupSpec {
  /** backbone | shared | architecture | heads.<task>, or a glob on layer or variable names. */
  match: string;
  lrMultiplier: number;
  /** null: the optimizer's weight decay. */
  weightDecay: number | null;
}

/** One entry of `stages:` (docs/training-control.md#stages; src/model/stages.ts resolves its lists). */
export interface StageSpec {
  name: string;
  epochs: number;
  /** Tasks trained in this stage (absent: all). */
  tasks?: string[];
  /** Groups or globs frozen from this stage on; `unfreeze` is applied after `freeze`. */
  freeze: string[];
  unfreeze: string[];
  optimizer?: ComponentConfig;
  learningRate?: number;
  weighting?: { method: string; [option: string]: unknown };
}

export interface MonitorSpec {
  monitor: string;
  mode: 'min' | 'max';
}

/** checkpoint: the best-checkpoint monitor and the optional extra checkpoints (docs/run-folder.md). */
export interface CheckpointSpec extends MonitorSpec {
  /** Also checkpoints/best-<task>, each by its task's own monitor (optional in hand-made specs; validation fills false). */
  perTask?: boolean;
  /** Keep checkpoints/epoch-<n> of the K most recent epochs (null: none). */
  keep?: number | null;
  /** Also commit checkpoints/last every N steps of the run inside an epoch (null: at epoch ends only). */
  everySteps?: number | null;
}

/** One node of a graph backbone. */
export interface GraphNode {
  /** A named submodel: the same layers (one set of weights) for every node that applies it. */
  apply?: string;
  /** One layer. */
  layer?: LayerItem;
  /** A stack of layers of its own. */
  layers?: LayerItem[];
  /** Input names or node names; several only when the first layer merges (concatenate, add, distance, …). */
  inputs: string[];
  /** The task whose own part this node is (a per-task decoder): its layers join that task's group. */
  task?: string;
}

/** A graph backbone (src/model/graph-spec.ts builds it). */
export interface GraphSpec {
  submodels?: Record<string, LayerItem[]>;
  nodes: Record<string, GraphNode>;
  outputs: string[];
}

/** A pretrained backbone (src/model/pretrained.ts loads it). */
export interface PretrainedBackbone {
  /** model.json of a tfjs Layers model; absolute once the spec is validated (relative: to the spec's folder). */
  from: string;
  trainable: boolean;
  /** Epochs to train with the backbone frozen before it becomes trainable (null: never). */
  unfreezeAfter: number | null;
}

export interface ResolvedSpec {
  name: string;
  seed: number;
  data: ComponentConfig;
  inputs: Record<string, { shape: number[]; dtype: 'float32' | 'int32' }>;
  /** The inputs combined into one vector (src/model/features.ts); inputDim filled from the data when validated. */
  features?: Record<string, { embedding?: number; inputDim?: number }>;
  /** A layer list, or a graph of named nodes (src/model/graph-spec.ts). */
  backbone: LayerItem[] | GraphSpec | PretrainedBackbone;
  /** How the backbone is shared between the tasks (src/architectures/); `{type: hard}` by default. */
  architecture?: ComponentConfig;
  tasks: Record<string, TaskSpec>;
  weighting: { method: string; [option: string]: unknown };
  train: {
    epochs: number;
    batchSize: number;
    stepsPerEpoch: number | null;
    shuffle: boolean;
    optimizer: ComponentConfig;
    schedule: ComponentConfig;
    clipNorm: number | null;
    /** Per-group learning-rate multipliers and weight decay (optional in hand-made specs; validation fills []). */
    paramGroups?: ParamGroupSpec[];
    onNonFinite: 'stop' | 'skip-batch';
    maxSkippedSteps: number;
    validation: number | 'test' | 'none';
    evaluateTest: boolean;
    earlyStopping: (MonitorSpec & { patience: number; minDelta: number }) | null;
    /** Runs under seeds s, s+1, … into one parent folder, as `mtl train --seeds N` (optional in hand-made specs). */
    seeds?: number;
  };
  /** Training in stages (absent: one stage, everything trainable). */
  stages?: StageSpec[];
  /** Earlier runs Δm% is measured against every epoch (src/eval/baselines.ts); absolute once validated. */
  baselines?: string | Record<string, string>;
  checkpoint: CheckpointSpec;
  output: { dir: string };
}

/** A spec that passed validation, with where it came from (relative data paths resolve against specDir). */
export interface Spec {
  resolved: ResolvedSpec;
  file: string;
  specDir: string;
  /** Where a path into the spec is in its file (line:col of the node, or of its deepest existing ancestor), for checks made after validation. */
  locate?: (path: readonly PathSeg[]) => Where;
}
