#!/usr/bin/env node
// Makes the bundled Fashion-MNIST subset (datasets/fashion-mnist/) from the full data set installed
// by the Debian package dataset-fashion-mnist: the FIRST 6000 training and FIRST 1000 test images
// and labels, written as gzipped IDX files with the standard names. Needs only node builtins.
//
//   node datasets/make-fashion-subset.js [sourceDir] [outDir]
//
// sourceDir defaults to /usr/share/datasets/fashion-mnist, outDir to datasets/fashion-mnist next to
// this script. Prints the per-class label counts of each split.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const SRC = path.resolve(process.argv[2] || '/usr/share/datasets/fashion-mnist');
const OUT = path.resolve(process.argv[3] || path.join(__dirname, 'fashion-mnist'));
const COUNTS = { train: 6000, t10k: 1000 };

function readIdx(file) {
  let buf = fs.readFileSync(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) throw new Error(`${file}: not a uint8 IDX file`);
  const ndims = buf[3];
  const dims = [];
  for (let i = 0; i < ndims; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const data = buf.subarray(4 + 4 * ndims);
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`${file}: expected ${n} bytes of data, found ${data.length}`);
  return { dims, data };
}

function writeIdx(file, dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  // mtime 0 in the gzip header (node writes none), so reruns give identical bytes.
  fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([header, data]), { level: 9 }));
}

fs.mkdirSync(OUT, { recursive: true });
for (const [split, count] of Object.entries(COUNTS)) {
  const images = readIdx(path.join(SRC, `${split}-images-idx3-ubyte.gz`));
  const labels = readIdx(path.join(SRC, `${split}-labels-idx1-ubyte.gz`));
  if (images.dims[0] < count || labels.dims[0] < count) throw new Error(`${split}: the source has fewer than ${count} items`);
  const per = images.dims.slice(1).reduce((a, b) => a * b, 1);
  writeIdx(path.join(OUT, `${split}-images-idx3-ubyte.gz`), [count, ...images.dims.slice(1)], images.data.subarray(0, count * per));
  writeIdx(path.join(OUT, `${split}-labels-idx1-ubyte.gz`), [count], labels.data.subarray(0, count));
  const hist = new Array(10).fill(0);
  for (let i = 0; i < count; i++) hist[labels.data[i]]++;
  console.log(`${split}: ${count} items, per-class label counts ${JSON.stringify(hist)}`);
}
console.log(`wrote ${OUT}`);
