// Owns the image encoder: an image file named by a field → float32 [height, width, channels].
import * as path from 'node:path';
import { loadImage } from '../formats/image';
import type { DataRecord, Report } from '../formats/record';
import type { InputMap } from './config';
import type { Encoded, Encoder } from './encoder';
import { fieldLabel, fieldsOf, raw } from './fields';

/** An image file named by a field (relative to the list file or class folder) → [height, width, channels] in [0, 1]. */
export class ImageEncoder implements Encoder {
  readonly dtype = 'float32';
  readonly perToken = false;
  readonly learns = false;
  readonly fields: string[];
  readonly shape: number[];
  /** Decode images while fitting too (streamed sources are checked before training starts). */
  checkOnFit = false;

  constructor(readonly key: string, private readonly map: InputMap) {
    this.fields = fieldsOf(map);
    this.shape = [map.height ?? 32, map.width ?? 32, map.channels ?? 3];
  }

  fit(rec: DataRecord, report: Report): void {
    if (this.checkOnFit) this.encode(rec, report);
  }

  finish(): unknown {
    return undefined;
  }

  load(): void {}

  encode(rec: DataRecord, report: Report): Encoded | null {
    const v = raw(rec, this.map);
    if (typeof v !== 'string' || v.trim() === '') {
      report({ where: rec.where, message: `${this.key}: no image file name in ${fieldLabel(this.map)}`, received: v });
      return null;
    }
    const file = path.resolve(rec.dir, v.trim());
    try {
      return { data: loadImage(file, this.shape[0], this.shape[1], this.shape[2] as 1 | 3) };
    } catch (e) {
      report({ where: rec.where, message: `${this.key}: ${(e as Error).message}`, received: file });
      return null;
    }
  }

  info(): Record<string, unknown> {
    return {};
  }
}
