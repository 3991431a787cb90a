// Owns the images format: a folder with one subfolder per class, or a CSV/TSV list of image files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDelimited } from './csv';
import type { DataRecord, ReaderOptions, Report } from './record';
import { checkReadable } from './text';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** Images: a folder with one subfolder per class (fields `file`, `label`), or a CSV/TSV list file. */
export async function* readImageFolder(p: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  checkReadable(p, true);
  if (fs.statSync(p).isFile()) {
    yield* readDelimited(p, p.toLowerCase().endsWith('.tsv') ? '\t' : ',', opts, report);
    return;
  }
  const classes = fs.readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  if (!classes.length) report({ where: { file: p }, message: 'no class subfolders', hint: 'put each class\'s images in a subfolder named after the class, or give a list file' });
  for (const c of classes) {
    const dir = path.join(p, c);
    for (const f of fs.readdirSync(dir).sort()) {
      if (!IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase())) continue;
      yield { fields: { file: f, label: c }, where: { file: path.join(dir, f) }, dir };
    }
  }
}
