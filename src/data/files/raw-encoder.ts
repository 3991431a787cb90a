// Owns the raw encoder: a field that already holds a model input's values (numbers of the input's
// shape, nested or flat), passed through unchanged. `mtl predict RUN INPUT` reads a file this way for
// data recipes that learn no preprocessing of their own (generated images, pairs of images).
import type { DataRecord, Report } from '../formats/record';
import type { Encoded, Encoder } from './encoder';
import { numbers, prod, raw } from './fields';

export class RawInputEncoder implements Encoder {
  readonly perToken = false;
  readonly learns = false;
  readonly fields: string[];
  readonly key: string;
  private buf: number[] = [];

  constructor(private readonly name: string, readonly shape: number[], readonly dtype: 'float32' | 'int32') {
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
    else return { data: this.dtype === 'int32' ? Int32Array.from(this.buf) : Float32Array.from(this.buf) };
    return null;
  }

  info(): Record<string, unknown> {
    return { raw: true, shape: this.shape };
  }
}
