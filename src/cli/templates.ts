// Owns the starter specs `mtl init` writes: one per common multi-task shape, each on bundled data so
// that it validates and trains as written, every block commented for a first-time reader.

export interface Template {
  name: string;
  description: string;
  text: string;
}

const TRAIN = `# How to train: epochs over the training split, a validation split held out of it, and the optimizer.
train:
  epochs: 8
  batchSize: 64
  optimizer: {type: adam, learningRate: 0.002}
  validation: 0.1
# Keep the checkpoint with the lowest validation loss (checkpoints/best in the run folder).
checkpoint:
  monitor: val.loss
`;

const WEIGHTING = `# How the task losses combine: static = the fixed tasks.<name>.weight (default 1). Try uw, gradnorm,
# pcgrad, upgrad, ... (mtl list weighting).
weighting: {method: static}
`;

const imagePair = `# Two image-classification tasks on one picture (MultiFashion): task left names the top-left
# Fashion-MNIST item on a 36x36 canvas, task right the bottom-right one. One trunk, two heads.
name: image-pair
seed: 42
# Where the examples come from: bundled Fashion-MNIST images composed into pairs (mtl list data).
data:
  type: multifashion
  trainSize: 6000
  testSize: 1000
# The model's inputs by name, with the shape of one example (rows, columns, channels).
inputs:
  image: {shape: [36, 36, 1]}
# The shared trunk every task reads: a LeNet-style stack (mtl list layers).
backbone:
  - conv2d: {filters: 10, kernelSize: 9, activation: relu}
  - maxPooling2d: {poolSize: 2}
  - conv2d: {filters: 20, kernelSize: 5, activation: relu}
  - maxPooling2d: {poolSize: 2}
  - flatten:
  - dense: {units: 50, activation: relu}
# One entry per task: its kind, its own head layers (the last one is the task's output), its loss
# and the metrics reported for it.
tasks:
  left:
    type: classification
    head: [{dense: {units: 10, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy, macro-f1]
  right:
    type: classification
    head: [{dense: {units: 10, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy, macro-f1]
${WEIGHTING}${TRAIN}`;

const tabular = `# A regression and a classification from one table (Auto MPG, bundled): from six numeric columns
# predict fuel use (mpg) and the region the car comes from (origin).
name: tabular
seed: 42
# Bundled data; for your own CSV use type: files (see the README, "Bringing your own data").
data:
  type: cars
  testFraction: 0.2
# Six z-scored numeric features per car.
inputs:
  features: {shape: [6]}
# The shared layers both tasks read.
backbone:
  - dense: {units: 32, activation: relu}
  - dense: {units: 32, activation: relu}
# mpg: regression with mean squared error; its error is in (miles per gallon)^2, so a small weight
# keeps it on the scale of origin's cross-entropy. origin: three classes.
tasks:
  mpg:
    type: regression
    head: [{dense: {units: 16, activation: relu}}, {dense: {units: 1}}]
    loss: mse
    metrics: [mae, r2]
    weight: 0.02
  origin:
    type: classification
    head: [{dense: {units: 16, activation: relu}}, {dense: {units: 3, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
${WEIGHTING}${TRAIN.replace('epochs: 8', 'epochs: 100').replace('batchSize: 64', 'batchSize: 32').replace('learningRate: 0.002', 'learningRate: 0.005')}`;

const text = `# Joint intent detection and slot filling: one label per sentence (intent) and one BIO tag per
# token (slots), on synthetic sentences the bundled intent-slots generator writes.
name: text
seed: 42
# 16 token ids per sentence; the generator's vocabulary has 189 ids (mtl list data).
data:
  type: intent-slots
  trainSize: 4000
  testSize: 1000
  maxLength: 16
inputs:
  tokens: {shape: [16], dtype: int32}
# Shared: token embeddings and a bidirectional GRU over the sentence, one vector per token.
backbone:
  - embedding: {inputDim: 189, outputDim: 32}
  - bidirectional: {layer: {gru: {units: 32, returnSequences: true}}}
# intent pools the tokens into one sentence label; slots tags every token (27 BIO tags).
tasks:
  intent:
    type: classification
    head: [{globalMaxPooling1d: {}}, {dense: {units: 6, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
  slots:
    type: classification
    head: [{dense: {units: 27, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
${WEIGHTING}${TRAIN.replace('learningRate: 0.002', 'learningRate: 0.005')}`;

const siamese = `# A Siamese network: one feature extractor applied to two images with the same weights; each
# image's category, and whether both show the same category (Fashion-MNIST pairs, bundled).
name: siamese
seed: 42
data: {type: fashion-pairs, size: 14, trainSize: 6000, testSize: 1000, sameAs: classification}
inputs:
  image1: {shape: [14, 14, 1]}
  image2: {shape: [14, 14, 1]}
# A graph backbone: submodels are layer lists defined once; nodes apply them (sharing weights) or
# other layers to named inputs; outputs are what heads may read with "from".
backbone:
  submodels:
    feature:
      - conv2d: {filters: 16, kernelSize: 3, activation: relu}
      - maxPooling2d: {poolSize: 2}
      - flatten:
      - dense: {units: 64, activation: relu}
  nodes:
    f1: {apply: feature, inputs: [image1]}
    f2: {apply: feature, inputs: [image2]}
    d: {layer: {distance: {metric: euclidean}}, inputs: [f1, f2]}
  outputs: [f1, f2, d]
# Each head reads one backbone output: the two category heads the features, same the distance.
tasks:
  category1:
    type: classification
    from: f1
    head: [{dense: {units: 10, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
  category2:
    type: classification
    from: f2
    head: [{dense: {units: 10, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
  same:
    type: classification
    from: d
    head: [{dense: {units: 2, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
    weight: 0.5
${WEIGHTING}${TRAIN}`;

export const TEMPLATES: readonly Template[] = [
  { name: 'image-pair', description: 'two image classifications on one picture (MultiFashion, bundled)', text: imagePair },
  { name: 'tabular', description: 'a regression and a classification from one table (Auto MPG, bundled)', text: tabular },
  { name: 'text', description: 'sentence intent and per-token slot tags (synthetic intent-slots data)', text },
  { name: 'siamese', description: 'one feature extractor shared by two images: two categories and same/different', text: siamese },
];

export const DEFAULT_TEMPLATE = 'image-pair';
