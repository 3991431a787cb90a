// Owns `mtl validate`'s look at the files a `files` spec names: a path that does not exist is only found
// by `data inspect` or `train` otherwise (validate reads no data), so validate warns, with the file's spec
// line and a did-you-mean among the names in its folder. A warning, not an error: plot-model, summary and
// a shared spec need no data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { namedFiles } from '../data/files/config';
import type { Problem } from '../errors';
import { didYouMean } from '../util/suggest';
import type { Spec } from './types';

export function missingDataFiles(spec: Spec): Problem[] {
  if (spec.resolved.data.type !== 'files') return [];
  const out: Problem[] = [];
  for (const { path: at, file } of namedFiles(spec.resolved.data)) {
    const abs = path.resolve(spec.specDir, file);
    if (fs.existsSync(abs)) continue;
    let near: string[] = [];
    try {
      near = fs.readdirSync(path.dirname(abs));
    } catch {
      // The folder is missing too: no names to suggest.
    }
    const where = spec.locate?.(at) ?? { file: spec.file };
    out.push({ where: { ...where, path: at.join('.') }, message: `no such file: ${abs}`, hint: didYouMean(path.basename(abs), near, { strict: true }) ?? (near.length ? undefined : `no folder ${path.dirname(abs)}`) });
  }
  return out;
}
