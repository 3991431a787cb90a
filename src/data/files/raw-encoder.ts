// Owns the raw encoder: a field that already holds a model input's values (numbers of the input's
// shape, nested or flat), passed through unchanged. `mtl predict RUN INPUT` reads a file this way for
// data recipes that learn no preprocessing of their own (generated images, pairs of images). With
// `pixels`, a uint8 idx/npy row holds 0–255 pixel values, scaled to [0, 1] as the Fashion-MNIST
// recipes scale their own uint8 files.
import type { ArrayCell, DataRecord, Report } from '../formats/record';
import type { DataDescription } from '../types';
import type { Encoded, Encoder } from './encoder';
import { getField, numbers, prod, raw } from './fields';

export class RawInputEncoder implements Encoder {
  readonly perToken = false;
  readonly learns = false;
  readonly fields: string[];
  readonly key: string;
  private buf: number[] = [];

  constructor(private readonly name: string, readonly shape: number[], readonly dtype: 'float32' | 'int32', private readonly opts: { pixels?: boolean } = {}) {
    this.key = `inputs.${name}`;
    this.fields = [name];
  }

  fit(): void {}
  finish(): unknown {
    return undefined;
  }
  load(): void {}

  encode(rec: DataRecord, report: Report): Encoded | null {
    this.buf.length = 0;
    const r = numbers(raw(rec, { field: this.name }), this.buf);
    const want = prod(this.shape);
    if (r === 'missing') report({ where: rec.where, message: `${this.key}: no field "${this.name}"`, hint: `each row needs the model input ${this.name}: ${want} numbers (shape [${this.shape.join(', ')}])` });
    else if (r !== 'ok') report({ where: rec.where, message: `${this.key}: non-numeric value in "${this.name}"`, received: r.bad, allowed: 'numbers' });
    else if (this.buf.length !== want) report({ where: rec.where, message: `${this.key}: "${this.name}" holds ${this.buf.length} values`, allowed: `${want} (shape [${this.shape.join(', ')}])` });
    else if (this.dtype === 'int32' && this.buf.some((x) => !Number.isInteger(x))) report({ where: rec.where, message: `${this.key}: "${this.name}" holds a value that is not an integer id`, allowed: 'integers (the input is int32)' });
    else return { data: this.dtype === 'int32' ? Int32Array.from(this.buf) : this.pixelsOf(rec) ? Float32Array.from(this.buf, (x) => x / 255) : Float32Array.from(this.buf) };
    return null;
  }

  /** Whether the field is a uint8 array row read as 0–255 pixels. */
  private pixelsOf(rec: DataRecord): boolean {
    const v = this.opts.pixels ? getField(rec, this.name) : undefined;
    return !!v && typeof v === 'object' && (v as ArrayCell).data instanceof Uint8Array;
  }

  info(): Record<string, unknown> {
    return { raw: true, shape: this.shape, ...(this.opts.pixels ? { pixels: true } : {}) };
  }
}

/** A raw encoder per input of a recipe whose inputs are images in [0, 1] made from uint8 pixels. */
export function pixelInputs(inputs: DataDescription['inputs']): Array<[string, Encoder]> {
  return Object.entries(inputs).map(([n, i]) => [n, new RawInputEncoder(n, i.shape, i.dtype, { pixels: true })]);
}
