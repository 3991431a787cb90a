// Owns the one contract every pluggable component follows (layers, losses, metrics, optimizers,
// schedules, weighting strategies, data recipes), the registry that holds them, and the one options
// validator: ajv with all errors and defaults filled, shared by the spec, aggregate() and the recipes.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { configError } from './errors';
import type { JSONSchema, OptionsDecl } from './util/options';
import { didYouMean } from './util/suggest';

export type { JSONSchema } from './util/options';

/** What a caller hands to `create`: the YAML options, possibly with the discriminator and defaults missing. */
export type ComponentInput = Readonly<Record<string, unknown>>;

export interface Descriptor<C = ComponentInput, P = unknown, X = unknown> {
  /** The name used in YAML. */
  readonly type: string;
  /** One line, shown by `mtl list`, in errors and in the README. */
  readonly description: string;
  /** Options of this component: every key with type, default, range, description. */
  readonly schema: JSONSchema;
  create(config: C, ctx: X): P;
}

export class Registry<D extends Descriptor<any, any, any>> {
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

/** The one ajv instance: every error at once, defaults filled in place, verbose errors (data, parentSchema). */
// inlineRefs: false compiles each $ref once as its own function: the spec schema refers to its layer and
// component definitions from many places, and inlining them took 92 MB and 1.1 s to compile (44 MB, 0.6 s).
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true, inlineRefs: false });
const compiled = new WeakMap<JSONSchema, ValidateFunction>();

/** A validator for `schema`, compiled once per schema object. */
export function validatorFor(schema: JSONSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/** Validate a copy of `value` against `schema`: the copy with defaults filled, and every error. */
export function checkOptions(schema: JSONSchema, value: unknown): { value: Record<string, unknown>; errors: ErrorObject[] } {
  const copy = JSON.parse(JSON.stringify(value ?? {})) as Record<string, unknown>;
  const validate = validatorFor(schema);
  return validate(copy) ? { value: copy, errors: [] } : { value: copy, errors: validate.errors ?? [] };
}

/**
 * The schema `create` checks its input against: the component's own, but keys beyond its options (the
 * discriminator, options every component of the kind shares) pass, and references into the spec
 * schema (`$ref: #/definitions/layer`) accept anything — the spec validation has checked both already.
 */
const lenient = new WeakMap<JSONSchema, JSONSchema>();
function lenientSchema(schema: JSONSchema): JSONSchema {
  let s = lenient.get(schema);
  if (!s) {
    const noRefs = (x: unknown): unknown =>
      Array.isArray(x) ? x.map(noRefs) : typeof x === 'object' && x !== null ? ('$ref' in x ? {} : Object.fromEntries(Object.entries(x).map(([k, v]) => [k, noRefs(v)]))) : x;
    const { additionalProperties: _ignored, ...rest } = noRefs(schema) as JSONSchema;
    s = rest;
    lenient.set(schema, s);
  }
  return s;
}

/** `config` validated against a component's options, defaults filled: what its `create` receives. */
export function resolveOptions<O>(type: string, decl: OptionsDecl<O>, config: ComponentInput | undefined): O {
  const { value, errors } = checkOptions(lenientSchema(decl.schema), config);
  if (errors.length) {
    throw configError(
      errors.map((e) => ({ where: { path: e.instancePath.slice(1).replace(/\//g, '.') || type }, message: `invalid option of "${type}": ${e.message ?? e.keyword}`, received: e.data })),
    );
  }
  return value as O;
}

/** A component declared with typed options: `create` receives them validated and complete. */
export interface ComponentDef<O, P, X> {
  readonly type: string;
  readonly description: string;
  readonly options: OptionsDecl<O>;
  create(options: O, ctx: X): P;
}

/** The descriptor of a component: its schema comes from `options`, and `create` fills defaults once, here. */
export function component<O, P, X>(d: ComponentDef<O, P, X>): Descriptor<ComponentInput, P, X> {
  return {
    type: d.type,
    description: d.description,
    schema: d.options.schema,
    create: (config, ctx) => d.create(resolveOptions(d.type, d.options, config), ctx),
  };
}
