// Owns the JSON Schema of the `files` data type: inputs, targets, sources, task-specific datasets and
// the streaming options, each option described once (the spec schema and docs are generated from it).
import { FORMATS } from '../formats/record';

const fieldProps = {
  field: { type: 'string', minLength: 1, description: 'The field (JSON key, CSV/parquet/arrow column, CoNLL column name, idx/npy file key, image list column) holding the value; a parquet/arrow timestamp column, or a column of ISO 8601 date text (2012-01-31, 2012-01-31T13:45:00Z) in any format, also gives <column>.year, .month, .day, .weekday (0 = Sunday), .hour, .minute (of the day) and .time (ms), in UTC' },
  column: { type: 'string', minLength: 1, description: 'Same as field' },
  columns: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'Several numeric columns forming one vector, in order' },
};

const inputSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Which field(s) feed one model input, and how they are encoded',
  properties: {
    ...fieldProps,
    encoding: { type: 'string', enum: ['numeric', 'tokens', 'image', 'category', 'embedding'], default: 'numeric', description: 'numeric: numbers (float32); tokens: text → int32 token ids; image: image file → [height, width, channels] in [0, 1]; category: one categorical value → int32 id (0 = unseen); embedding: one categorical value → one int32 id for an embedding table (0 = missing, 1 = out of vocabulary, 2… the training values by frequency, or hashed buckets) — or, with maxValues, a list of values → that many ids padded with 0; see the features block' },
    shape: { type: 'array', items: { type: 'integer', minimum: 1 }, description: 'numeric: shape of one row (default [number of columns], or [1])' },
    normalize: { type: 'boolean', default: false, description: 'numeric: z-score each feature with the training mean and standard deviation' },
    length: { type: 'integer', minimum: 1, default: 32, description: 'tokens: ids per row; longer texts are truncated, shorter ones padded with 0' },
    maxValues: { type: 'integer', minimum: 2, description: 'embedding: a multi-valued field (a JSON list, or text split on separator; without maxValues, one value per row) → this many ids per row: the first values in the field\'s order (the rest are dropped), padded with 0. The features block averages the embeddings of the real ids (padding left out; a row without values gives zeros)' },
    separator: { type: 'string', minLength: 1, description: 'embedding with maxValues: the separator of the values in one text field ("Drama|Comedy" with "|"); empty parts are dropped. A list value is used as it is' },
    vocabulary: { type: 'integer', minimum: 3, default: 10000, description: 'tokens, embedding: at most this many ids, including 0 (padding; for embedding a missing value) and 1 (out of vocabulary); the embedding inputDim' },
    minCount: { type: 'integer', minimum: 1, default: 1, description: 'tokens, embedding: training values seen fewer times are out of vocabulary (id 1)' },
    lowercase: { type: 'boolean', default: false, description: 'tokens, embedding: lowercase the text first' },
    hashing: {
      type: 'object',
      additionalProperties: false,
      required: ['buckets'],
      description: 'embedding: no vocabulary — a value\'s id is 2 + (32-bit FNV-1a hash of its UTF-8 bytes mod buckets), the same in every run; for fields with too many values to list. The table has buckets + 2 ids; vocabulary and minCount are then ignored',
      properties: { buckets: { type: 'integer', minimum: 1, maximum: 10000000, description: 'Number of hash buckets (distinct values may share one)' } },
    },
    split: { type: 'string', enum: ['whitespace', 'chars'], default: 'whitespace', description: 'tokens: how text becomes tokens (a list value is used as it is)' },
    height: { type: 'integer', minimum: 1, default: 32, description: 'image: rows after bilinear resizing' },
    width: { type: 'integer', minimum: 1, default: 32, description: 'image: columns after bilinear resizing' },
    channels: { type: 'integer', enum: [1, 3], default: 3, description: 'image: 1 (grey) or 3 (RGB)' },
  },
};

const targetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  description: "Which field holds a task's target; empty cells and nulls are missing labels (masked out)",
  properties: {
    ...fieldProps,
    type: { type: 'string', enum: ['classification', 'binary', 'multilabel', 'regression'], description: 'The task type (must match tasks.<name>.type)' },
    classes: { type: 'integer', minimum: 1, description: 'classification: number of classes (the head width, at least 2); multilabel: number of labels' },
    categories: {
      anyOf: [{ type: 'string', enum: ['learn'] }, { type: 'array', minItems: 1, items: { type: 'string' } }],
      description: 'Named labels: "learn" (the sorted labels of the training data) or the list; omitted: labels are class indices 0..classes-1',
    },
    normalize: { type: 'boolean', default: false, description: 'regression: z-score the target with training statistics (losses and metrics are then in standard deviations)' },
    dim: { type: 'integer', minimum: 1, description: 'regression: values per row when one field holds a vector (default 1; with columns: their number)' },
    shape: { type: 'array', minItems: 2, maxItems: 3, items: { type: 'integer', minimum: 1 }, description: 'A per-pixel target in one field (nested JSON arrays, a list, an npy/idx row; read row-major): classification [height, width], a class index per pixel; regression [height, width] or [height, width, values]. The head must end in (batch, height, width, classes | values); a row holding another number of values is a data error at its file and row' },
    length: { type: 'integer', minimum: 1, description: 'classification: one tag per token (CoNLL tag column), padded/truncated to this many steps; padding is masked' },
    separator: { type: 'string', minLength: 1, default: '|', description: 'multilabel with categories: separator of the label names in one text field' },
    lowercase: { type: 'boolean', default: false, description: 'classification: lowercase labels first' },
    unseen: {
      type: 'string',
      enum: ['error', 'missing', 'other'],
      default: 'error',
      description: 'categories: learn — a val/test label no training row has: error (a data error listing every such label with its count), missing (the label is masked out), other (an extra last class, "<other>", that no training row teaches; classes must leave room for it)',
    },
    above: { type: 'number', description: 'binary: the label is 1 when the numeric field exceeds this value, else 0 (e.g. a delay in minutes → delayed)' },
  },
};

const sourceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['format'],
  description: 'One split\'s data: its format and file(s)',
  properties: {
    format: { type: 'string', enum: [...FORMATS], description: 'csv, tsv (header line), jsonl (one JSON object per line), json (one JSON array of objects, parsed whole), parquet (read by row group), arrow (IPC file or stream, read by record batch), idx, npy (one file per field), images (a folder per class, or a CSV/TSV list file), conll (token per line)' },
    path: { type: 'string', minLength: 1, description: 'The file (or image folder / list file), relative to the spec file' },
    paths: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'Several files of the same format, read in order' },
    files: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, description: 'idx and npy: one file per field, e.g. {image: x.npy, label: y.npy}; the first axis is the example' },
    delimiter: { type: 'string', minLength: 1, maxLength: 1, description: 'csv: field delimiter (default ","; tsv: tab)' },
    columns: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, default: ['token', 'tag'], description: 'conll: names of the token columns, in order' },
    streaming: { anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['auto'] }], default: 'auto', description: 'Read the file in chunks every epoch instead of loading it (auto: when the files exceed streamAbove MB)' },
  },
};

export const filesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['inputs'],
  properties: {
    inputs: { type: 'object', minProperties: 1, additionalProperties: inputSchema, description: 'Model input name → field(s) and encoding' },
    targets: { type: 'object', additionalProperties: targetSchema, description: 'Task name → target field (with train/val/test)' },
    train: { ...sourceSchema, description: 'Training data' },
    val: { ...sourceSchema, description: 'Validation data (otherwise train.validation holds out a fraction of train)' },
    test: { ...sourceSchema, description: 'Test data' },
    tasks: {
      type: 'object',
      description: 'Task-specific datasets instead of train/val/test: task → {target, train, val, test}; each batch labels one task',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['target', 'train'],
        properties: { target: targetSchema, train: sourceSchema, val: sourceSchema, test: sourceSchema },
      },
    },
    sampling: {
      anyOf: [
        { type: 'string', enum: ['all', 'round-robin', 'proportional'] },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: {
            type: { type: 'string', enum: ['all', 'round-robin', 'proportional', 'temperature'] },
            T: { type: 'number', exclusiveMinimum: 0, description: 'temperature: p_t ∝ n_t^(1/T) (1: proportional to size; larger: towards uniform)' },
          },
        },
      ],
      default: 'all',
      description: 'tasks: all — every step reads batchSize rows of every task\'s source (LibMTL\'s multi-input; an epoch is ⌈largest task / batchSize⌉ steps, smaller tasks restart); round-robin — one task per step, in turn (an epoch ends when the largest task has been seen once); proportional — one task per step, at random in proportion to the tasks\' sizes (every row once per epoch). temperature ({type: temperature, T}) — one task per step, task t drawn with probability ∝ n_t^(1/T), Σ ⌈n_t / batchSize⌉ steps an epoch (as proportional), exhausted tasks restart. With one task per step a gradient method sees T\' = 1. Realised counts: metrics.json epochs[].taskBatches',
    },
    shuffleBuffer: { type: 'integer', minimum: 1, default: 10000, description: 'Streamed sources: rows held in the seeded shuffle buffer' },
    interleave: { type: 'integer', minimum: 1, default: 4, description: 'Streamed parquet: every shuffled epoch reads the row groups in a new seeded order, this many decoded at once, their rows interleaved in a random order (memory: this many row groups of the named columns); CSV, JSONL and arrow stream in file order' },
    chunkSize: { type: 'integer', minimum: 1024, default: 1048576, description: 'Streamed sources: characters per read from disk' },
    streamAbove: { type: 'number', minimum: 0, default: 256, description: 'streaming: auto streams sources whose files exceed this many MB' },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Without a test source: about this fraction of the training file\'s rows become the test split (a per-row draw fixed by the spec seed, made before the validation hold-out; streamed files too)' },
  },
};
