// Owns the one contract every pluggable component follows (layers, losses, metrics, optimizers,
// schedules, weighting strategies, data recipes) and the registry that holds them.
import { configError } from './errors';
import { didYouMean } from './util/suggest';

/** A JSON Schema fragment. Kept loose on purpose: ajv is the authority on its meaning. */
export type JSONSchema = { [key: string]: unknown };

export interface Descriptor<C = any, P = any, X = any> {
  /** The name used in YAML. */
  readonly type: string;
  /** One line, shown by `mtl list`, in errors and in the README. */
  readonly description: string;
  /** Options of this component: every key with type, default, range, description. */
  readonly schema: JSONSchema;
  create(config: C, ctx: X): P;
}

export class Registry<D extends Descriptor> {
  private readonly items = new Map<string, D>();

  constructor(readonly kind: string) {}

  register(d: D): this {
    if (this.items.has(d.type)) throw new Error(`${this.kind} "${d.type}" is registered twice`);
    this.items.set(d.type, d);
    return this;
  }

  has(type: string): boolean {
    return this.items.has(type);
  }

  get(type: string): D {
    const d = this.items.get(type);
    if (!d) {
      throw configError([
        {
          where: {},
          message: `unknown ${this.kind} "${type}"`,
          allowed: this.types().join(', '),
          hint: didYouMean(type, this.types()),
        },
      ]);
    }
    return d;
  }

  types(): string[] {
    return [...this.items.keys()];
  }

  list(): D[] {
    return [...this.items.values()];
  }
}
