// Owns the vocabulary of task types and what each one means for targets and head widths.

/**
 * Layer groups: every layer of a built model belongs to the inputs, to the part shared by the tasks, or
 * to one task (the group is then the task's name). Plots colour by group; the train step splits the
 * parameters by it.
 */
export const INPUT_GROUP = 'input';
export const SHARED_GROUP = 'shared';

export const TASK_TYPES = ['classification', 'binary', 'multilabel', 'regression'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/**
 * How a task's targets are laid out in a batch:
 * - classification: int32 class indices, shape [batch]
 * - binary: float32 0/1, shape [batch, 1]
 * - multilabel: float32 0/1, shape [batch, K]
 * - regression: float32, shape [batch, D]
 */
export const TARGET_LAYOUT: Record<TaskType, string> = {
  classification: 'int32 class index per row',
  binary: 'float32 0/1, one column',
  multilabel: 'float32 0/1, one column per label',
  regression: 'float32, one column per output',
};
