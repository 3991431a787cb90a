// Owns turning an image file into a float tensor row: PNG (pngjs) and JPEG (jpeg-js) decoding to
// RGBA, bilinear resizing to the input's height × width, and 1 or 3 channels scaled to [0, 1].
import * as fs from 'node:fs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface Rgba {
  width: number;
  height: number;
  /** width·height·4 bytes, row-major RGBA. */
  data: Uint8Array;
}

/**
 * The largest image decoded (width × height): 50 megapixels take 200 MB as RGBA. A PNG of a few KB can
 * declare 100,000 × 100,000 pixels of one colour (a decompression bomb), so the header is checked first.
 */
export const MAX_IMAGE_PIXELS = 50_000_000;

/** A PNG's declared size, from its IHDR chunk (always first: bytes 16–23, big-endian). */
function pngSize(buf: Uint8Array): { width: number; height: number } {
  if (buf.length < 24) throw new Error('truncated PNG header');
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

function checkPixels(width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS) throw new Error(`the header declares ${width} × ${height} pixels (${((width * height) / 1e6).toFixed(0)} megapixels); at most ${MAX_IMAGE_PIXELS / 1e6} megapixels are decoded`);
}

/** Decode PNG or JPEG bytes (told apart by their magic numbers); throws Error with a short reason. */
export function decodeImage(buf: Uint8Array): Rgba {
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) {
    const { width, height } = pngSize(buf);
    checkPixels(width, height);
    const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  }
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error('neither a PNG nor a JPEG file');
}

/**
 * Bilinear resize with half-pixel centres (output pixel i samples the source at (i + 0.5)·in/out − 0.5,
 * clamped at the borders), then grey (ITU-R BT.601 luma) or RGB, scaled to [0, 1]. Alpha is dropped.
 * Writes height·width·channels floats into out[offset..].
 */
export function resizeBilinear(img: Rgba, height: number, width: number, channels: 1 | 3, out: Float32Array = new Float32Array(height * width * channels), offset = 0): Float32Array {
  const sy = img.height / height;
  const sx = img.width / width;
  const px = (x: number, y: number, c: number) => img.data[(y * img.width + x) * 4 + c];
  for (let oy = 0; oy < height; oy++) {
    const fy = Math.min(Math.max((oy + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let ox = 0; ox < width; ox++) {
      const fx = Math.min(Math.max((ox + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      const rgb = [0, 0, 0];
      for (let c = 0; c < 3; c++) {
        const top = px(x0, y0, c) * (1 - wx) + px(x1, y0, c) * wx;
        const bottom = px(x0, y1, c) * (1 - wx) + px(x1, y1, c) * wx;
        rgb[c] = (top * (1 - wy) + bottom * wy) / 255;
      }
      const o = offset + (oy * width + ox) * channels;
      if (channels === 1) out[o] = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
      else {
        out[o] = rgb[0];
        out[o + 1] = rgb[1];
        out[o + 2] = rgb[2];
      }
    }
  }
  return out;
}

/** Read, decode and resize one image file; throws Error (not MtlError) so the caller can add the row. */
export function loadImage(file: string, height: number, width: number, channels: 1 | 3): Float32Array {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'image file not found' : `cannot read: ${(e as Error).message}`);
  }
  let img: Rgba;
  try {
    img = decodeImage(buf);
  } catch (e) {
    throw new Error(`image does not decode: ${(e as Error).message}`);
  }
  return resizeBilinear(img, height, width, channels);
}

/** Encode an RGBA image as PNG bytes (fixtures and tests). */
export function encodePng(img: Rgba): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).copy(png.data);
  return PNG.sync.write(png);
}
