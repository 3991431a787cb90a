// Owns the "Examples:" section of each command's --help: at least one example per command and per
// option (a test checks every option appears), shown after commander's usage text.
import type { Command } from 'commander';

export const EXAMPLES: Record<string, Array<[string, string]>> = {
  mtl: [
    ['mtl init my-spec.yaml', 'write a starter spec'],
    ['mtl train configs/quickstart.yaml', 'train the quickstart model'],
    ['mtl --version', 'print the version'],
    ['mtl train --help', 'the options and examples of one command'],
  ],
  init: [
    ['mtl init', 'write mtl.yaml from the default template (image-pair)'],
    ['mtl init --list', 'list the templates'],
    ['mtl init --template text intent.yaml', 'sentence intent + token slots'],
    ['mtl init -t tabular cars.yaml --force', 'overwrite cars.yaml'],
  ],
  validate: [
    ['mtl validate configs/quickstart.yaml', 'every problem at once, or "ok"'],
    ['mtl validate configs/quickstart.yaml --json', 'the result and the resolved spec as JSON'],
  ],
  train: [
    ['mtl train configs/quickstart.yaml', 'run folder under output.dir'],
    ['mtl train configs/quickstart.yaml --out runs/q1 --backend wasm --threads 2', 'named run folder, wasm backend on 2 threads'],
    ['mtl train configs/quickstart.yaml --resume runs/q1', 'continue an interrupted run'],
    ['mtl train configs/quickstart.yaml --out runs/q1 --overwrite', 'replace the run already in runs/q1'],
    ['mtl train configs/cars.yaml --no-progress --json > metrics.json', 'plain epoch lines, final metrics as JSON'],
    ['mtl train configs/multifashion-uw.yaml --seeds 3 --out runs/uw', 'three seeds into one seed-group folder'],
    ['mtl train configs/quickstart.yaml --single-task --out runs/single', 'one model per task: the Δm% baseline'],
  ],
  eval: [
    ['mtl eval runs/q1', 'the best checkpoint on the test split'],
    ['mtl eval runs/q1 --checkpoint last --split val --backend cpu --json', 'last checkpoint, validation split, JSON'],
    ['mtl eval runs/q1 --split val,test --details', 'both splits; confusion matrices, per-class P/R/F1, residuals'],
    ['mtl eval runs/q1 --checkpoint runs/q0/checkpoints/best', 'a checkpoint folder given by path'],
  ],
  'plot-model': [
    ['mtl plot-model configs/quickstart.yaml -o model.png', 'PNG (also .svg, .dot, .mmd, .json)'],
    ['mtl plot-model runs/q1 --output model.svg --show-shapes --show-dtype', 'the model a run trained, with shapes and dtypes'],
    ['mtl plot-model configs/cars.yaml -o m.png --show-layer-activations --show-trainable --dpi 192', 'activations, trainable flags, sharp PNG'],
    ['mtl plot-model configs/cars.yaml -o m.mmd --rankdir LR --no-show-layer-names', 'Mermaid, left to right, types only'],
    ['mtl plot-model configs/seed-resnet-two-heads.yaml -o m.png --collapse', 'ResNet-50 as one box'],
    ['mtl plot-model spec.yaml -o m.svg --expand-nested --show-layer-names', 'a pretrained backbone\'s layers drawn out'],
    ['mtl plot-model configs/stages.yaml -o m.svg --stage right', 'the layers stage "right" freezes marked frozen'],
  ],
  summary: [
    ['mtl summary configs/seed-text-crf.yaml', 'Keras-style table, totals, shared vs per-task'],
    ['mtl summary runs/q1 --json', 'the same as JSON'],
    ['mtl summary configs/stages.yaml --stage right', 'which layers and parameters stage "right" freezes'],
  ],
  predict: [
    ['mtl predict runs/cars new-cars.json --out predictions.jsonl', 'a file of new rows (labels optional): class names, values in the target\'s units'],
    ['mtl predict runs/csv apartments.csv --format csv --strict --out p.csv', 'CSV out; a row the preprocessing cannot read is exit 3, p.csv not written'],
    ['mtl predict runs/q1 rows.txt --input-format jsonl --checkpoint runs/q0/checkpoints/last', 'raw model inputs from a .txt file, a checkpoint folder given by path'],
    ['mtl predict runs/q1 canvases/', 'idx/npy: a folder of one file per field, named after it (canvases/image.idx: uint8 36×36 canvases, 0–255)'],
    ['mtl predict runs/mnist --input image=t10k-images-idx3-ubyte.gz --input label=t10k-labels-idx1-ubyte.gz', 'idx/npy files named one field at a time (the label file is optional)'],
    ['mtl predict runs/q1 --out predictions.jsonl', 'every test row: class, probability and top-3 per task'],
    ['mtl predict runs/q1 --split val --checkpoint last --format csv --top-k 1 > val.csv', 'validation rows as CSV'],
    ['mtl predict runs/q1 --no-labels --backend wasm', 'predictions only, no labels'],
    ['mtl predict runs/aux --auxiliary', 'the auxiliary tasks (tasks.<t>.auxiliary) too'],
    ['mtl predict runs/dense --masks masks/', 'per-pixel tasks: one PNG per row and task in masks/ (<row>-<task>.png, and the gold -label.png)'],
  ],
  compare: [
    ['mtl compare runs/uw runs/pcgrad --baseline runs/single-task', 'final metrics side by side, Δm% against a baseline'],
    ['mtl compare runs/seeds-uw runs/seeds-pcgrad --split val --markdown', 'seed groups (mean ± std), validation metrics, Markdown'],
    ['mtl compare runs/a runs/b --json', 'the comparison as JSON'],
  ],
  'plot-metrics': [
    ['mtl plot-metrics runs/q1 -o curves.png', 'loss and metric curves per task, weights and gradient panels'],
    ['mtl plot-metrics runs/uw runs/pcgrad --output curves.svg --no-diagnostics', 'two runs overlaid, curves only'],
  ],
  report: [
    ['mtl report runs/uw runs/pcgrad -o report.html', 'one self-contained HTML page'],
    ['mtl report runs/uw runs/pcgrad --output report.html --baseline runs/single-task', 'with Δm% against a baseline'],
  ],
  list: [
    ['mtl list', 'every registry'],
    ['mtl list weighting', 'the weighting methods'],
    ['mtl list losses --json', 'with each option\'s schema'],
  ],
  data: [['mtl data inspect configs/cars.yaml', 'rows, shapes, label distributions per split']],
  inspect: [
    ['mtl data inspect configs/cars.yaml', 'rows, shapes, label distributions per split'],
    ['mtl data inspect configs/csv-example.yaml --json', 'the report as JSON'],
  ],
  schema: [
    ['mtl schema', 'print the JSON Schema'],
    ['mtl schema -o mtl.schema.json', 'write it for an editor'],
  ],
};

export function examplesText(name: string): string {
  const ex = EXAMPLES[name] ?? [];
  if (!ex.length) return '';
  return `\nExamples:\n${ex.map(([c, why]) => `  # ${why}\n  $ ${c}`).join('\n')}`;
}

/** Add the examples to `cmd` and every subcommand. */
export function addExamples(cmd: Command): Command {
  const text = examplesText(cmd.name());
  if (text) cmd.addHelpText('after', text);
  for (const c of cmd.commands) addExamples(c);
  return cmd;
}
