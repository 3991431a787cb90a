// `mtl schema [-o FILE]`: the spec JSON Schema generated from the registries.
import { schemaFileText } from '../../spec/docs';
import { writeFileAtomic } from '../../util/fs';
import type { Output } from '../reporter';

export function schemaCommand(opts: { output?: string }, o: Output): void {
  if (opts.output) {
    writeFileAtomic(opts.output, schemaFileText());
    o.out(`written: ${opts.output}`);
  } else o.out(schemaFileText().trimEnd());
}
