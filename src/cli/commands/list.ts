// `mtl list [KIND]`: what the registries hold — the same source as validation and the schema.
import { architectures } from '../../architectures/index';
import { dataRecipes } from '../../data/index';
import { usageError } from '../../errors';
import { layers } from '../../layers/index';
import { losses } from '../../losses/index';
import { metrics } from '../../metrics/index';
import { optimizers } from '../../optim/optimizers';
import { schedules } from '../../optim/schedules';
import type { Descriptor, Registry } from '../../registry';
import { strategies } from '../../weighting/index';
import type { Output } from '../reporter';

export const REGISTRIES: Record<string, Registry<Descriptor>> = {
  layers,
  architectures,
  losses,
  metrics,
  weighting: strategies,
  optimizers,
  schedules,
  data: dataRecipes,
};

export function listCommand(kind: string | undefined, opts: { json?: boolean }, o: Output): void {
  const kinds = kind ? [kind] : Object.keys(REGISTRIES);
  for (const k of kinds) if (!REGISTRIES[k]) throw usageError([{ where: {}, message: `unknown kind "${k}"`, allowed: Object.keys(REGISTRIES).join(', ') }]);
  if (opts.json) {
    o.out(JSON.stringify(Object.fromEntries(kinds.map((k) => [k, REGISTRIES[k].list().map((d) => ({ type: d.type, description: d.description, schema: d.schema }))])), null, 2));
    return;
  }
  for (const k of kinds) {
    o.out(`${k}:`);
    const reg = REGISTRIES[k];
    const w = Math.max(...reg.types().map((t) => t.length));
    for (const d of reg.list()) o.out(`  ${d.type.padEnd(w)}  ${d.description}`);
  }
}
