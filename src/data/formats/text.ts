// Owns reading files and folders for the format readers: the existence check, text chunks, numbered lines.
import * as fs from 'node:fs';
import { dataError } from '../../errors';

export function checkReadable(file: string, folder = false): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw dataError([{ where: { file }, message: folder ? 'folder not found' : 'file not found' }]);
  }
  if (!folder && st.isDirectory()) throw dataError([{ where: { file }, message: 'is a folder, not a file' }]);
}

/** The file's text in chunks of about `chunkSize` characters (UTF-8; a character never splits). */
export async function* textChunks(file: string, chunkSize: number): AsyncGenerator<string> {
  checkReadable(file);
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: chunkSize });
  try {
    for await (const chunk of stream) yield chunk as string;
  } finally {
    stream.destroy();
  }
}

/** Lines with their 1-based numbers; \r\n and \n endings. */
export async function* lines(file: string, chunkSize: number): AsyncGenerator<{ text: string; line: number }> {
  let rest = '';
  let line = 0;
  for await (const chunk of textChunks(file, chunkSize)) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) yield { text: p.endsWith('\r') ? p.slice(0, -1) : p, line: ++line };
  }
  if (rest !== '') yield { text: rest.endsWith('\r') ? rest.slice(0, -1) : rest, line: ++line };
}
