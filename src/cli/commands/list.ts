// `mtl list [KIND]`: what the registries hold — the same source as validation and the schema.
import { usageError } from '../../errors';
import { REGISTRIES } from '../../registries';
import type { Output } from '../reporter';

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
