// Owns reading NumPy .npy files (format versions 1–3): the magic, the header dictionary (parsed
// here, without eval) and the data of float32, float64, int32, int64, uint8 and bool arrays.
import * as fs from 'node:fs';
import { dataError } from '../../errors';

export interface NpyArray {
  dtype: 'float32' | 'int32' | 'uint8';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALLOWED = '<f4, <f8, <i4, <i8, |u1, |b1 (float32, float64, int32, int64, uint8, bool), C order';

function fail(file: string, message: string, extra: { received?: unknown; allowed?: string } = {}): never {
  throw dataError([{ where: { file }, message, ...extra }]);
}

/** The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } */
export function parseNpyHeader(header: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(file, 'not a valid .npy header', { received: header.trim() });
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(file, 'bad shape in the .npy header', { received: shapeText });
  return { descr, fortran: fortran === 'True', shape };
}

export function decodeNpy(buf: Uint8Array, file: string): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) fail(file, 'not a .npy file: bad magic', { received: [...buf.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(' '), allowed: '93 4e 55 4d 50 59 ("\\x93NUMPY")' });
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    offset = 12;
  } else fail(file, `unsupported .npy format version ${major}`, { allowed: '1, 2, 3' });
  if (buf.length < offset + headerLen) fail(file, 'truncated .npy header');
  const header = Buffer.from(buf.subarray(offset, offset + headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const { descr, fortran, shape } = parseNpyHeader(header, file);
  if (fortran) fail(file, 'Fortran-ordered arrays are not supported', { allowed: ALLOWED, received: 'fortran_order: True' });
  const n = shape.reduce((a, b) => a * b, 1);
  const dataStart = offset + headerLen;
  const bytes = { '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8, '|u1': 1, '<u1': 1, '|b1': 1 }[descr];
  if (bytes === undefined) fail(file, `unsupported dtype "${descr}"`, { allowed: ALLOWED });
  const found = buf.length - dataStart;
  if (found !== n * bytes) fail(file, `expected ${n * bytes} bytes of data for shape (${shape.join(', ')}) ${descr}, found ${found}`);
  const at = dataStart + buf.byteOffset;
  const ab = buf.buffer;
  switch (descr) {
    case '<f4': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(dataStart + 4 * i, true);
      return { dtype: 'float32', shape, data: out };
    }
    case '<f8': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(dataStart + 8 * i, true);
      return { dtype: 'float32', shape, data: out };
    }
    case '<i4': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(dataStart + 4 * i, true);
      return { dtype: 'int32', shape, data: out };
    }
    case '<i8': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(dataStart + 8 * i, true);
        if (v > 2147483647n || v < -2147483648n) fail(file, `int64 value ${v} at element ${i} does not fit in int32`);
        out[i] = Number(v);
      }
      return { dtype: 'int32', shape, data: out };
    }
    default:
      return { dtype: 'uint8', shape, data: new Uint8Array(ab.slice(at, at + n)) };
  }
}

export function readNpy(file: string): NpyArray {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(file, code === 'ENOENT' ? 'file not found' : `cannot read file: ${(e as Error).message}`);
  }
  return decodeNpy(buf, file);
}

/** Encode a .npy (version 1.0) file's bytes: for fixtures and tests. */
export function encodeNpy(arr: NpyArray): Buffer {
  const descr = { float32: '<f4', int32: '<i4', uint8: '|u1' }[arr.dtype];
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${arr.shape.join(', ')}${arr.shape.length === 1 ? ',' : ''}), }`;
  // The data starts on a 64-byte boundary; the header ends with a newline.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  Buffer.from(MAGIC).copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}
