// Owns the checks of the `features:` block against the inputs and the data: every input goes through
// it once, ids get an embedding and numbers do not, and each table holds every id the data can
// produce — its inputDim, when not given, is filled from the data here (so config.resolved.yaml has it).
import type { DataDescription } from '../data/types';
import type { Problem } from '../errors';
import { isGraphSpec } from '../model/graph-spec';
import { isPretrainedBackbone } from '../model/pretrained';
import { didYouMean } from '../util/suggest';
import type { ResolvedSpec } from './types';

type At = (path: (string | number)[], p: Omit<Problem, 'where'>, key?: boolean) => void;

export function checkFeatures(spec: ResolvedSpec, d: DataDescription | undefined, at: At): void {
  const features = spec.features;
  if (!features) return;
  const inputs = Object.keys(spec.inputs);
  if (!isPretrainedBackbone(spec.backbone) && isGraphSpec(spec.backbone)) at(['features'], { message: 'features feed a layer-list backbone; a graph backbone reads its inputs by name', hint: 'embed each input in a node of the graph instead (an embedding layer, then flatten)' }, true);
  for (const name of inputs) if (!(name in features)) at(['features'], { message: `input "${name}" is not in features: with a features block, every input goes through it`, hint: `add ${name}: {} (numbers) or ${name}: {embedding: 8} (ids)` }, true);
  for (const [name, f] of Object.entries(features)) {
    const input = spec.inputs[name];
    if (!input) {
      at(['features', name], { message: `no input "${name}"`, allowed: inputs.join(', '), hint: didYouMean(name, inputs) }, true);
      continue;
    }
    if (f.embedding === undefined) {
      if (input.dtype === 'int32') at(['features', name], { message: `input "${name}" holds int32 ids: give it an embedding table`, hint: `${name}: {embedding: 8} (the vector size)` });
      else if (f.inputDim !== undefined) at(['features', name, 'inputDim'], { message: 'inputDim sizes an embedding table; this feature has no embedding' });
      continue;
    }
    if (input.dtype !== 'int32') at(['features', name, 'embedding'], { message: `input "${name}" is float32: an embedding reads int32 ids`, hint: `set dtype: int32 on inputs.${name} (data: encoding: embedding), or drop embedding` });
    if (input.shape.length !== 1) at(['inputs', name, 'shape'], { message: 'an embedded feature holds one id per row, or a list of ids (a multi-valued field, averaged over its ids)', received: input.shape, allowed: '[1], or [maxValues] (data: maxValues)' });
    const ids = d?.inputs[name]?.ids;
    if (f.inputDim === undefined) {
      if (ids !== undefined) f.inputDim = ids;
      else at(['features', name], { message: `the data does not say how many ids input "${name}" carries`, hint: 'set inputDim (the largest id + 1)' });
    } else if (ids !== undefined && f.inputDim < ids) {
      at(['features', name, 'inputDim'], { message: `input "${name}" carries ids up to ${ids - 1} (${d?.inputs[name]?.idsFrom})`, received: f.inputDim, allowed: `inputDim ≥ ${ids}, or leave it out (filled from the data)` });
    }
  }
}
