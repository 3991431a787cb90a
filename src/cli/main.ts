// The command-line program: commander options → typed options → core functions. The only place that
// turns errors into exit codes (0 ok, 1 internal, 2 usage/spec, 3 data, 4 checkpoint, 5 diverged, 130 interrupted).
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_CODES, formatProblem, MtlError } from '../errors';
import { packageVersion } from '../util/paths';
import { addExamples } from './examples';
import { consoleOutput, type Output } from './reporter';

/**
 * Commands load TensorFlow.js (0.15 s and more) and everything above it, so each command module is
 * imported only when it runs: `mtl --help` and usage errors start about as fast as Node itself.
 */
async function command<M>(load: () => Promise<M>): Promise<M> {
  const tf = await import('@tensorflow/tfjs');
  // Production mode skips tfjs' debug checks and its "install tfjs-node" banner on stderr.
  tf.enableProdMode();
  return load();
}

const backendOption = () =>
  new Option('--backend <name>', 'tfjs backend: auto tries tensorflow (GPU, then CPU), then wasm, then cpu').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto');

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, received ${JSON.stringify(v)}`);
  return n;
}

const threadsOption = () =>
  new Option('--threads <n>', 'WASM backend threads (default: the cores not already busy, at most 8; 1 when the threaded build cannot start); tensorflow: its CPU threads (default: all cores)').argParser((v) => {
    if (!/^[1-9][0-9]*$/.test(v)) throw new MtlError('usage', `--threads must be a positive integer (received ${v})`);
    return Number(v);
  });

export function program(o: Output, signal: AbortSignal): Command {
  const p = new Command('mtl')
    .description('Train multi-task deep-learning models from one YAML spec (TensorFlow.js)')
    .version(packageVersion())
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: (s) => o.out(s.trimEnd()), writeErr: (s) => o.err(s.trimEnd()) });
  // Registration order is the order `mtl --help` lists the commands in.
  addSpecCommands(p, o, signal);
  addLookCommands(p, o);
  addInfoCommands(p, o);
  return addExamples(p);
}

/** init, validate, train, eval: from a spec to a run folder. */
function addSpecCommands(p: Command, o: Output, signal: AbortSignal): void {
  p.command('init')
    .description('Write a commented starter spec from a template (it validates as written)')
    .argument('[file]', 'spec file to write', 'mtl.yaml')
    .option('-t, --template <name>', 'template: image-pair, tabular, text, siamese (see --list)')
    .option('--list', 'list the templates')
    .option('--force', 'overwrite FILE if it exists')
    .action(async (file, opts) => (await command(() => import('./commands/init'))).initCommand(file, opts, o));

  p.command('validate')
    .description('Check a spec: every problem at once, with line:column')
    .argument('<spec>', 'spec file (YAML)')
    .option('--json', 'print the result (and the resolved spec) as JSON')
    .action(async (spec, opts) => (await command(() => import('./commands/validate'))).validateCommand(spec, opts, o));

  p.command('train')
    .description('Validate the spec, train, and write a run folder (checkpoints, metrics JSON)')
    .argument('<spec>', 'spec file (YAML)')
    .option('--out <dir>', 'run folder (default: <output.dir>/<name>-<timestamp>)')
    .option('--resume <run>', 'continue the run folder RUN from its checkpoints/last, in place (same trajectory as an uninterrupted run)')
    .option('--overwrite', 'replace the run already in --out (without it an existing run folder is refused)')
    .option('--seeds <n>', 'train N runs under seeds s, s+1, … (s: the spec\'s seed) into one parent folder: PARENT/seed-<s>/ + seeds.json')
    .option('--single-task', 'train one model per task (same backbone and settings, the other heads removed) into one baseline folder: PARENT/task-<t>/ + single-task.json')
    .addOption(backendOption())
    .addOption(threadsOption())
    .option('--no-progress', 'one plain line per epoch instead of progress bars')
    .option('--json', 'print the final metrics as JSON on stdout')
    .action(async (spec, opts) => (await command(() => import('./commands/train'))).trainCommand(spec, opts, o, signal));

  p.command('eval')
    .description('Evaluate a checkpoint of a run; writes RUN/eval-<split>.json (best) or RUN/eval-<split>-<checkpoint>.json')
    .argument('<run>', 'run folder')
    .option('--checkpoint <which>', 'best, last, best-<task> (checkpoint.perTask), epoch-<n> (checkpoint.keep), or the path of a checkpoint folder', 'best')
    .option('--split <split>', 'val, test, or several: val,test', 'test')
    .option('--details', 'per task: confusion matrix and per-class precision/recall/F1, or residual statistics (also in eval-<split>.json)')
    .addOption(backendOption())
    .option('--json', 'print the metrics as JSON (a list for several splits)')
    .action(async (run, opts) => (await command(() => import('./commands/eval'))).evalCommand(run, opts, o));
}

/** plot-model, compare, plot-metrics, report, summary: looking at a model and at finished runs. */
function addLookCommands(p: Command, o: Output): void {
  p.command('plot-model')
    .description('Draw the model graph (shared layers, task heads, losses) as .svg, .png, .dot, .mmd or .json')
    .argument('<spec-or-run>', 'spec file or run folder')
    .requiredOption('-o, --output <file>', 'output file; the format follows the extension: .svg, .png, .dot, .mmd (Mermaid), .json')
    .option('--show-shapes', 'show each layer\'s input and output shapes')
    .option('--show-dtype', 'show each layer\'s dtype')
    .option('--show-layer-names', 'show layer names (the default)')
    .option('--no-show-layer-names', 'show only layer types')
    .option('--show-layer-activations', 'show the activation of layers that have one')
    .option('--show-trainable', 'show whether each layer is trainable')
    .addOption(new Option('--rankdir <dir>', 'graph direction: top-bottom, left-right, bottom-top, right-left').choices(['TB', 'LR', 'BT', 'RL']).default('TB'))
    .option('--expand-nested', 'draw the layers inside nested models (a pretrained backbone) instead of one box')
    .option('--collapse', 'draw each built-in backbone (resnet, mobilenetV2, bilstm, transformerEncoder, …) as one box')
    .option('--stage <name>', 'mark the layers this stage freezes (spec.stages; default: the first stage)')
    .addOption(new Option('--dpi <n>', 'PNG resolution in pixels per inch').argParser(positiveNumber).default(96))
    .action(async (target, opts) => (await command(() => import('./commands/plot'))).plotCommand(target, opts, o));

  p.command('predict')
    .description('Predict the rows of a file (INPUT), or of a split of the run\'s data, with a checkpoint: per task the class name and top-k probabilities, binary and multilabel probabilities with their 0/1, values in the target\'s units, token tags and entity spans; distances of Siamese models')
    .argument('<run>', 'run folder')
    .argument('[input]', 'file to predict: the format of the spec\'s data files (or any supported format with the same fields), or a folder of one idx/npy file per field named <field>.npy, <field>.idx or <field>.idx.gz; labels optional')
    .option('--input <field=path>', 'instead of INPUT: the idx/npy file of one field (repeat for each field; labels optional)', (v: string, acc: string[] = []) => [...acc, v])
    .addOption(new Option('--split <split>', 'without INPUT: which rows of the run\'s data source (default: test)').choices(['train', 'val', 'test']))
    .option('--checkpoint <which>', 'best, last, best-<task>, epoch-<n>, or the path of a checkpoint folder', 'best')
    .option('--out <file>', 'write the rows to FILE (complete or not at all) instead of stdout')
    .addOption(new Option('--format <format>', 'one JSON object per row, or CSV (one column group per task)').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--input-format <format>', 'INPUT\'s format when its extension does not tell: csv, tsv, jsonl, json, parquet, arrow, images, conll (idx or npy for field files)')
    .option('--strict', 'a row of INPUT the preprocessing cannot read is a data error (exit 3) instead of being reported and left out')
    .option('--top-k <k>', 'classes listed per classification row', '3')
    .option('--auxiliary', 'also predict the auxiliary tasks (tasks.<t>.auxiliary)')
    .option('--no-labels', 'leave out each row\'s label')
    .option('--masks <dir>', 'per-pixel tasks: folder for one PNG per row and task, <row>-<task>.png (and -label.png); default RUN/masks-<split or INPUT name>')
    .addOption(backendOption())
    .action(async (run, input, opts) => (await command(() => import('./commands/predict'))).predictCommand(run, input, opts, o));

  p.command('compare')
    .description('One table of several runs (or seed groups): final per-task metrics, Δm% against --baseline, epochs, wall time, samples/s, backend')
    .argument('<runs...>', 'run folders or seed-group folders')
    .option('--baseline <run>', 'run (or seed group) Δm% is measured against; listed first')
    .addOption(new Option('--split <split>', 'which final metrics: test (best checkpoint), val (best epoch), auto = test when every run has it').choices(['auto', 'test', 'val']).default('auto'))
    .option('--json', 'print the comparison as JSON')
    .option('--markdown', 'print a Markdown table')
    .action(async (runs, opts) => (await command(() => import('./commands/compare'))).compareCommand(runs, opts, o));

  p.command('plot-metrics')
    .description('Draw loss and metric curves per task (training and validation), task weights, gradient norms and cosines; several runs overlaid')
    .argument('<runs...>', 'run folders')
    .requiredOption('-o, --output <file>', 'output file: .svg or .png')
    .option('--no-diagnostics', 'leave out the task-weight, gradient and gate panels')
    .action(async (runs, opts) => (await command(() => import('./commands/plot-metrics'))).plotMetricsCommand(runs, opts, o));

  p.command('report')
    .description('Write one self-contained HTML page: spec, model plot, metric curves, final tables, Δm%, diagnostics')
    .argument('<runs...>', 'run folders or seed-group folders')
    .requiredOption('-o, --output <file>', 'output file (.html)')
    .option('--baseline <run>', 'run (or seed group) Δm% is measured against')
    .action(async (runs, opts) => (await command(() => import('./commands/report'))).reportCommand(runs, opts, o));

  p.command('summary')
    .description('Print the model as Keras\' model.summary() does, with parameters split into shared and per task')
    .argument('<spec-or-run>', 'spec file or run folder')
    .option('--json', 'print the table and totals as JSON')
    .option('--stage <name>', 'mark the layers this stage freezes (spec.stages; default: the first stage)')
    .action(async (target, opts) => (await command(() => import('./commands/summary'))).summaryCommand(target, opts, o));
}

/** list, data inspect, schema: what a spec can name and what its data looks like. */
function addInfoCommands(p: Command, o: Output): void {
  p.command('list')
    .description('List the registered layers, architectures, losses, metrics, weighting methods, optimizers, schedules, data types')
    .argument('[kind]', 'one of: layers, losses, metrics, weighting, optimizers, schedules, data')
    .option('--json', 'as JSON, with each component\'s options schema')
    .action(async (kind, opts) => (await command(() => import('./commands/list'))).listCommand(kind, opts, o));

  p.command('data')
    .description('Inspect the data a spec trains on')
    .command('inspect')
    .description('Per split: rows, input shapes, label distributions or ranges, missing-label rates, vocabulary sizes')
    .argument('<spec>', 'spec file (YAML)')
    .option('--json', 'print the report as JSON')
    .action(async (spec, opts) => (await command(() => import('./commands/data'))).dataInspectCommand(spec, opts, o));

  p.command('schema')
    .description('Print the JSON Schema of a spec (generated from the registries)')
    .option('-o, --output <file>', 'write it to a file')
    .action(async (opts) => (await command(() => import('./commands/schema'))).schemaCommand(opts, o));
}

/** Run the CLI; resolves to the exit code (never calls process.exit itself). */
export async function main(argv: string[], o: Output = consoleOutput): Promise<number> {
  // `mtl list | head`: a reader that stops early is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const ac = new AbortController();
  let interrupts = 0;
  // SIGTERM (kill, a scheduler's time limit) is handled as Ctrl-C: finish the step, checkpoint, exit 130.
  // A second one exits at once, in any phase (start-up, data loading, training, the final test):
  // every long phase lets the event loop run between its units of work, so this handler gets to run.
  const onSigint = (sig: NodeJS.Signals) => {
    if (++interrupts > 1) {
      o.err(`${sig === 'SIGTERM' ? 'SIGTERM' : 'interrupt'} again: exiting now`);
      process.exit(EXIT_CODES.interrupted);
    }
    // On a TTY a progress bar owns the current line: start a fresh one.
    o.err(`${o.isTTY ? '\n' : ''}${sig === 'SIGTERM' ? 'SIGTERM' : 'interrupt'}: finishing the current step and saving checkpoints/last (Ctrl-C again to quit now)`);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    await program(o, ac.signal).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_CODES.usage;
    }
    if (e instanceof MtlError) {
      for (const p of e.problems) o.err(formatProblem(p));
      const n = e.problems.length;
      if (e.truncated) o.err(`${n} problems, the first found: the check stops at ${n}, so later rows were not checked and may have more`);
      else if (n > 1) o.err(`${n} problems`);
      return e.exitCode;
    }
    o.err(`internal error: ${(e as Error)?.stack ?? String(e)}`);
    o.err('This is a bug in mtl; please report it with the command and spec that caused it.');
    return EXIT_CODES.internal;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
