// Owns reading and writing IDX files (the MNIST family's format), gzipped or raw.
//
// Layout (all big-endian): two zero bytes, a type code, the number of dimensions, one uint32 per
// dimension, then the data in row-major order.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { dataError } from '../../errors';
import { writeFileAtomic } from '../../util/fs';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxTypedArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  dims: number[];
  data: IdxTypedArray;
}

interface TypeInfo {
  code: number;
  dtype: IdxDtype;
  bytes: number;
  make: (n: number) => IdxTypedArray;
  read: (v: DataView, off: number) => number;
  write: (v: DataView, off: number, x: number) => void;
}

const TYPES: TypeInfo[] = [
  { code: 0x08, dtype: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o), write: (v, o, x) => v.setUint8(o, x) },
  { code: 0x09, dtype: 'int8', bytes: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o), write: (v, o, x) => v.setInt8(o, x) },
  { code: 0x0b, dtype: 'int16', bytes: 2, make: (n) => new Int16Array(n), read: (v, o) => v.getInt16(o), write: (v, o, x) => v.setInt16(o, x) },
  { code: 0x0c, dtype: 'int32', bytes: 4, make: (n) => new Int32Array(n), read: (v, o) => v.getInt32(o), write: (v, o, x) => v.setInt32(o, x) },
  { code: 0x0d, dtype: 'float32', bytes: 4, make: (n) => new Float32Array(n), read: (v, o) => v.getFloat32(o), write: (v, o, x) => v.setFloat32(o, x) },
  { code: 0x0e, dtype: 'float64', bytes: 8, make: (n) => new Float64Array(n), read: (v, o) => v.getFloat64(o), write: (v, o, x) => v.setFloat64(o, x) },
];

const hex = (b: number) => '0x' + b.toString(16).padStart(2, '0');
const hexBytes = (buf: Uint8Array) => [...buf].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const ALLOWED_TYPES = TYPES.map((t) => `${hex(t.code)} (${t.dtype})`).join(', ');

function fail(file: string, message: string, extra: { received?: unknown; allowed?: string; hint?: string } = {}): never {
  throw dataError([{ where: { file }, message, ...extra }]);
}

/** The most data one IDX file may declare (its values are held in memory): 2 GiB. */
export const MAX_IDX_BYTES = 2 ** 31;

/** A regular file's bytes; `count` bytes from the start when given. */
function readBytes(file: string, count?: number): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(file, code === 'ENOENT' ? 'file not found' : `cannot read file: ${(e as Error).message}`);
  }
  if (st.isDirectory()) fail(file, 'is a folder, not an IDX file');
  // A FIFO or a device such as /dev/zero would block or never end.
  if (!st.isFile()) fail(file, 'not a regular file', { hint: 'data is read from files: a FIFO or a device would block or never end' });
  if (count === undefined) return fs.readFileSync(file);
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(count, st.size));
    fs.readSync(fd, buf, 0, buf.length, 0);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

interface IdxHeader {
  info: TypeInfo;
  dims: number[];
  headerBytes: number;
  /** Bytes of data the header declares. */
  dataBytes: number;
}

/** Parse the header at the start of `buf` (the decompressed bytes for a gzipped file). */
function parseHeader(file: string, buf: Uint8Array, total: number): IdxHeader {
  if (buf.length < 4) fail(file, `truncated file: expected at least 4 header bytes, found ${buf.length}`);
  if (buf[0] !== 0 || buf[1] !== 0 || !TYPES.some((t) => t.code === buf[2])) {
    if (buf[0] !== 0 || buf[1] !== 0) {
      fail(file, 'not an IDX file: bad magic number', {
        received: hexBytes(buf.subarray(0, 4)),
        allowed: `00 00 <type code> <ndims>, type code one of ${ALLOWED_TYPES}`,
      });
    }
    fail(file, `unknown IDX type code ${hex(buf[2])}`, { allowed: ALLOWED_TYPES });
  }
  const info = TYPES.find((t) => t.code === buf[2])!;
  const ndims = buf[3];
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) fail(file, `truncated file: the header declares ${ndims} dimensions (${headerBytes} bytes), found ${total} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i));
  const dataBytes = dims.reduce((a, b) => a * b, 1) * info.bytes;
  if (dataBytes > MAX_IDX_BYTES) fail(file, `the header declares dims [${dims.join(', ')}] (${info.dtype}): ${dataBytes.toExponential(2)} bytes of data, more than the ${MAX_IDX_BYTES / 2 ** 30} GiB an IDX file may hold`);
  return { info, dims, headerBytes, dataBytes };
}

const sizeMismatch = (h: IdxHeader, found: number) => `expected ${h.dataBytes} bytes of data for dims [${h.dims.join(', ')}] (${h.info.dtype}), found ${found}`;

/**
 * The header, and the whole (decompressed) file — read only after the header's declared size has been
 * checked against the budget and against the file: a raw file's size on disk, and for a gzip file the
 * inflation stops at the declared size. So a small file claiming 10^9 items, or a gzip bomb, is refused
 * before anything large is allocated.
 */
function load(file: string): { header: IdxHeader; buf: Buffer } {
  const head = readBytes(file, 4 + 4 * 255);
  const size = fs.statSync(file).size;
  const gzipped = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (!gzipped) {
    const header = parseHeader(file, head, size);
    const found = size - header.headerBytes;
    if (found < header.dataBytes) fail(file, `truncated file: ${sizeMismatch(header, found)}`);
    if (found > header.dataBytes) fail(file, `unexpected trailing data: ${sizeMismatch(header, found)}`);
    return { header, buf: readBytes(file) };
  }
  const corrupt = (e: unknown): never => fail(file, `corrupt gzip data: ${(e as Error).message}`, { hint: 'the file starts like a gzip file (1f 8b) but does not decompress; download it again' });
  const compressed = readBytes(file);
  let prefix: Buffer;
  try {
    prefix = zlib.gunzipSync(compressed.subarray(0, 65536), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch (e) {
    return corrupt(e);
  }
  const header = parseHeader(file, prefix, prefix.length);
  const total = header.headerBytes + header.dataBytes;
  try {
    // One output chunk of the declared size: no chunk list and final copy (twice the file at peak).
    return { header, buf: zlib.gunzipSync(compressed, { maxOutputLength: total, ...(total >= 64 && total < 2 ** 30 ? { chunkSize: total + 1 } : {}) }) };
  } catch (e) {
    if (e instanceof RangeError) fail(file, `unexpected trailing data: more than the ${total} bytes the header declares`);
    return corrupt(e);
  }
}

/** Read an IDX file, gzipped (detected by its 1f 8b magic) or raw. Throws a data error with the file on any problem. */
export function readIdx(file: string): IdxArray {
  const { header, buf } = load(file);
  const { info, dims, headerBytes, dataBytes } = header;
  const n = dataBytes / info.bytes;
  const found = buf.length - headerBytes;
  if (found < dataBytes) fail(file, `truncated file: ${sizeMismatch(header, found)}`);
  if (found > dataBytes) fail(file, `unexpected trailing data: ${sizeMismatch(header, found)}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let data: IdxTypedArray;
  if (info.dtype === 'uint8') {
    data = new Uint8Array(buf.buffer, buf.byteOffset + headerBytes, n); // a view: no second copy of the file
  } else if (info.dtype === 'int8') {
    data = new Int8Array(n);
    data.set(new Int8Array(buf.buffer, buf.byteOffset + headerBytes, n));
  } else {
    data = info.make(n);
    for (let i = 0, o = headerBytes; i < n; i++, o += info.bytes) data[i] = info.read(view, o);
  }
  return { dtype: info.dtype, dims, data };
}

/** Encode an IDX array as bytes (big-endian), without compression. */
export function encodeIdx(arr: IdxArray): Buffer {
  const info = TYPES.find((t) => t.dtype === arr.dtype);
  if (!info) throw new Error(`writeIdx: unsupported dtype ${arr.dtype}`);
  if (arr.dims.length > 255) throw new Error('writeIdx: at most 255 dimensions');
  const n = arr.dims.reduce((a, b) => a * b, 1);
  if (n !== arr.data.length) throw new Error(`writeIdx: dims [${arr.dims.join(', ')}] hold ${n} values but data has ${arr.data.length}`);
  const headerBytes = 4 + 4 * arr.dims.length;
  const buf = Buffer.alloc(headerBytes + n * info.bytes);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf[2] = info.code;
  buf[3] = arr.dims.length;
  arr.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  for (let i = 0, o = headerBytes; i < n; i++, o += info.bytes) info.write(view, o, arr.data[i]);
  return buf;
}

/** Write an IDX file atomically; gzipped when opts.gzip (default: when the name ends in .gz). */
export function writeIdx(file: string, arr: IdxArray, opts: { gzip?: boolean } = {}): void {
  const raw = encodeIdx(arr);
  const gzip = opts.gzip ?? file.endsWith('.gz');
  writeFileAtomic(file, gzip ? zlib.gzipSync(raw, { level: 9 }) : raw);
}
