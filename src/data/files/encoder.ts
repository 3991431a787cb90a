// Owns the contract of an encoder: "fit on train, apply to every split". One encoder per model input
// and per task target turns a record's raw fields into a typed row, learning what it needs
// (statistics, category and token vocabularies) from the training rows only. Its state is plain JSON,
// saved in the run folder so that eval encodes exactly alike.
import type { DataRecord, Report } from '../formats/record';

export interface Encoded {
  data: Float32Array | Int32Array;
  /** Targets: 1/0 per row, or one value per element for token-level targets. */
  mask?: number | Uint8Array;
}

export interface Encoder {
  readonly key: string;
  readonly shape: number[];
  readonly dtype: 'float32' | 'int32';
  /** Token-level target: one mask value per element. */
  readonly perToken: boolean;
  readonly fields: string[];
  /** Whether fit() learns anything (otherwise the fit pass only validates). */
  readonly learns: boolean;
  fit(rec: DataRecord, report: Report): void;
  /** After the fit pass: the learnt state (JSON), with problems such as too many classes reported. */
  finish(report: Report): unknown;
  load(state: unknown): void;
  /** null when the record is invalid (reported). */
  encode(rec: DataRecord, report: Report): Encoded | null;
  /** Token inputs: the words of a record as the encoder splits them (entity text in `mtl predict`). */
  words?(rec: DataRecord): string[] | null;
  /** For `mtl data inspect`: vocabulary sizes and the like. */
  info(): Record<string, unknown>;
}
