// Owns LayerBuildError: a layer, node or architecture that could not be built, with the YAML path of
// its spec entry (src/spec/checks.ts reports it at that line).
import type { PathSeg } from '../errors';

export class LayerBuildError extends Error {
  /** `key`: point at the key itself (a node's name) rather than at its value. */
  constructor(readonly path: PathSeg[], message: string, readonly key = false, readonly hint?: string) {
    super(message);
  }
}
