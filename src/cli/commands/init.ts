// `mtl init [--template NAME] [FILE]`: write a commented starter spec (validated before it is written).
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import { usageError } from '../../errors';
import { DEFAULT_TEMPLATE, TEMPLATES } from '../templates';
import { validateSpecText } from '../../spec/validate';
import { writeFileAtomic } from '../../util/fs';
import { didYouMean } from '../../util/suggest';
import type { Output } from '../reporter';

export async function initCommand(file: string | undefined, opts: { template?: string; list?: boolean; force?: boolean }, o: Output): Promise<void> {
  if (opts.list) {
    const w = Math.max(...TEMPLATES.map((t) => t.name.length));
    for (const t of TEMPLATES) o.out(`${t.name.padEnd(w)}  ${t.description}${t.name === DEFAULT_TEMPLATE ? ' (default)' : ''}`);
    return;
  }
  const name = opts.template ?? DEFAULT_TEMPLATE;
  const template = TEMPLATES.find((t) => t.name === name);
  const names = TEMPLATES.map((t) => t.name);
  if (!template) throw usageError([{ where: {}, message: `unknown template "${name}"`, received: name, allowed: names.join(', '), hint: didYouMean(name, names) }]);
  const out = file ?? 'mtl.yaml';
  if (fs.existsSync(out) && !opts.force) throw usageError([{ where: {}, message: `${out} exists; choose another file name or pass --force to overwrite it` }]);
  // The symbolic build inside validation needs a backend; cpu starts instantly.
  await tf.setBackend('cpu');
  validateSpecText(template.text, out);
  writeFileAtomic(out, template.text);
  o.out(`written: ${out} (template ${name}); next: mtl validate ${out}, mtl plot-model ${out} -o model.png, mtl train ${out}`);
}
