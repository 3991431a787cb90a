// Owns the contract of a metric descriptor: whole-epoch arrays in, one number out.
import { component, resolveOptions, type ComponentDef, type ComponentInput, type Descriptor } from '../registry';
import type { TaskType } from '../tasks';

export interface MetricInput {
  /** Targets laid out as TARGET_LAYOUT says, flattened row-major; rows without a label are already removed. */
  yTrue: Float32Array | Int32Array;
  /** Predictions [n, predDim] flattened: probabilities for classification/binary/multilabel, values for regression. */
  yPred: Float32Array;
  n: number;
  predDim: number;
  /**
   * Token-level tasks (each row one real token, padding removed): 1 where a token begins a new
   * sentence, [n]. Entity-level metrics use it so that no entity spans two sentences.
   */
  sequenceStarts?: ArrayLike<number>;
  /**
   * The split row (example) each kept row comes from, [n]; for token rows, the row of the token's
   * sentence. Lets a metric that reads several tasks (MetricDescriptor.reads) line their rows up.
   */
  rows?: Int32Array;
  /** The inputs of the other tasks this metric reads (MetricDescriptor.reads), by task name. */
  others?: Record<string, MetricInput>;
}

export interface MetricContext {
  taskType: TaskType;
  /** Class names by index when the data learnt them (categories: learn), for `tags: learn`. */
  classNames?: string[];
  /** Every task of the spec by name: its type and learnt class names (for metrics that read other tasks). */
  tasks?: Record<string, { taskType: TaskType; classNames?: string[] }>;
}

/** Another task a metric reads, named by one of its options (validated against the spec's tasks). */
export interface ReadTask {
  /** The option that names the task (the spec error points at it). */
  option: string;
  task: string;
  /** The task types the named task may have. */
  taskTypes: readonly TaskType[];
}

/** `summable`: the metric's statistics add up over batches (src/metrics/summable.ts). */
export type MetricFn = ((input: MetricInput) => number) & { summable?: import('./summable').Summable };

export interface MetricDescriptor extends Descriptor<ComponentInput, MetricFn, MetricContext> {
  readonly taskTypes: readonly TaskType[];
  readonly higherIsBetter: boolean;
  /** Key under which the value is reported (e.g. top-k-accuracy with k=3 → "top-3-accuracy"). */
  key(config: ComponentInput): string;
  /** Other tasks whose predictions the metric reads besides its own task's (none for most metrics). */
  reads(config: ComponentInput): ReadTask[];
}

/** A metric declared with typed options: create and key receive them validated, defaults filled. */
export interface MetricDef<O> extends ComponentDef<O, MetricFn, MetricContext> {
  readonly taskTypes: readonly TaskType[];
  readonly higherIsBetter: boolean;
  key(options: O): string;
  reads?(options: O): ReadTask[];
}

export const metric = <O>(d: MetricDef<O>): MetricDescriptor => ({
  ...component(d),
  taskTypes: d.taskTypes,
  higherIsBetter: d.higherIsBetter,
  key: (c) => d.key(resolveOptions(d.type, d.options, c)),
  reads: (c) => d.reads?.(resolveOptions(d.type, d.options, c)) ?? [],
});
