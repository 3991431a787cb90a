// Owns choosing the encoder of each input mapping (by encoding) and of each target mapping (by task type).
import { CategoryEncoder } from './category-encoder';
import { EmbeddingEncoder } from './embedding-encoder';
import type { InputMap, TargetMap } from './config';
import type { Encoder } from './encoder';
import { ImageEncoder } from './image-encoder';
import { MultiHotEncoder } from './multi-hot-encoder';
import { NumericEncoder } from './numeric-encoder';
import { TokenEncoder } from './token-encoder';

export function inputEncoder(name: string, m: InputMap): Encoder {
  switch (m.encoding) {
    case 'tokens':
      return new TokenEncoder(`inputs.${name}`, m);
    case 'image':
      return new ImageEncoder(`inputs.${name}`, m);
    case 'category':
      return new CategoryEncoder(`inputs.${name}`, m, 0, 'input');
    case 'embedding':
      return new EmbeddingEncoder(`inputs.${name}`, m);
    default:
      return new NumericEncoder(`inputs.${name}`, m, m.shape ?? [m.columns ? m.columns.length : 1], undefined);
  }
}

export function targetEncoder(name: string, m: TargetMap): Encoder {
  const key = `targets.${name}`;
  switch (m.type) {
    case 'classification':
      return new CategoryEncoder(key, m, m.classes ?? 2, 'target');
    case 'multilabel':
      if (!m.columns && m.categories) return new MultiHotEncoder(key, m, m.classes ?? (Array.isArray(m.categories) ? m.categories.length : 2));
      return new NumericEncoder(key, m, [m.columns ? m.columns.length : m.classes ?? 1], 'multilabel');
    case 'binary':
      return new NumericEncoder(key, m, [1], 'binary');
    default:
      return new NumericEncoder(key, m, m.shape ?? [m.columns ? m.columns.length : m.dim ?? 1], 'regression');
  }
}
