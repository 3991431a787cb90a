// Owns the one way a component declares its options: each option once, as a JSON Schema fragment that
// also carries its TypeScript type, so that the spec schema and the object `create` receives cannot
// drift apart. `opts({ alpha: num({ minimum: 0, default: 1.5, description: '…' }) })` gives both the
// object schema and, through Options<typeof decl>, the type `{ alpha: number }`.
//
// The keywords are JSON Schema's own (minimum, exclusiveMaximum, default, …), written in the order they
// appear in the generated schema; `required: true` moves the key into the parent's `required` list.
// An option with a default or `required: true` is always present in the resolved object; any other
// option may be undefined.

/** A JSON Schema fragment. Kept loose on purpose: ajv is the authority on its meaning. */
export type JSONSchema = { [key: string]: unknown };

type Presence = 'filled' | 'required' | 'optional';

/** One option: its schema, whether it is always present once resolved, and (type only) its value type. */
export interface Opt<T, P extends Presence = Presence> {
  readonly schema: JSONSchema;
  readonly presence: P;
  /** Carries T for inference; never set. */
  readonly __value?: T;
}

/** The keywords every builder accepts besides its own. */
interface Doc {
  description?: string;
  required?: boolean;
  default?: unknown;
  nullable?: boolean;
}

type PresenceOf<A> = A extends { default: unknown } ? 'filled' : A extends { required: true } ? 'required' : 'optional';
type NullOf<A> = A extends { nullable: true } ? null : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

type Props = Record<string, Opt<unknown>>;
type ValueOf<O> = O extends Opt<infer T> ? T : never;
type AlwaysKeys<P extends Props> = { [K in keyof P]: P[K]['presence'] extends 'optional' ? never : K }[keyof P];
type MaybeKeys<P extends Props> = Exclude<keyof P, AlwaysKeys<P>>;

/** The resolved (validated, defaults filled) object of a set of options. */
export type OptionsOf<P extends Props> = Simplify<{ [K in AlwaysKeys<P>]: ValueOf<P[K]> } & { [K in MaybeKeys<P>]?: ValueOf<P[K]> }>;

/** A component's options: the object schema and, as a type, the resolved object. */
export interface OptionsDecl<O> {
  readonly schema: JSONSchema;
  /** Carries O for inference; never set. */
  readonly __options?: O;
}

/** The resolved options type of a declaration: Options<typeof gradnormOptions>. */
export type Options<D> = D extends OptionsDecl<infer O> ? O : never;

function opt<T, A extends Doc>(type: string, a: A, extra: JSONSchema = {}): Opt<T, PresenceOf<A>> {
  const { required, nullable, ...rest } = a;
  const presence = ('default' in a ? 'filled' : required ? 'required' : 'optional') as PresenceOf<A>;
  return { schema: { type: nullable ? [type, 'null'] : type, ...extra, ...rest }, presence };
}

interface NumArgs extends Doc {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: number | null;
}

export const num = <A extends NumArgs>(a: A): Opt<number | NullOf<A>, PresenceOf<A>> => opt('number', a);
export const int = <A extends NumArgs>(a: A): Opt<number | NullOf<A>, PresenceOf<A>> => opt('integer', a);
export const bool = <A extends Doc & { default?: boolean }>(a: A): Opt<boolean, PresenceOf<A>> => opt('boolean', a);
export const str = <A extends Doc & { default?: string; pattern?: string; minLength?: number }>(a: A): Opt<string | NullOf<A>, PresenceOf<A>> => opt('string', a);

type Literal = string | number | boolean;

/**
 * One of a fixed list of values; the JSON type follows the values (string, integer, number, boolean).
 * `oneOf(['none', 'l2'] as const, {...})` types the option as 'none' | 'l2'.
 */
export function oneOf<const V extends readonly Literal[], A extends Doc & { default?: V[number] }>(values: V, a: A): Opt<V[number], PresenceOf<A>> {
  const v = values[0];
  const type = typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'boolean' : values.every((x) => Number.isInteger(x)) ? 'integer' : 'number';
  const { required, nullable, ...rest } = a;
  return opt(type, { required, nullable, ...({ enum: [...values] } as object), ...rest } as A);
}

/** A list of `item`s (a builder or a raw schema such as a $ref). */
export function list<T, A extends Doc & { minItems?: number; maxItems?: number; default?: T[] }>(item: Opt<T> | JSONSchema, a: A): Opt<T[], PresenceOf<A>> {
  const { required, nullable, ...rest } = a;
  const items = isOpt(item) ? item.schema : item;
  return opt('array', { required, nullable, ...({ items } as object), ...rest } as A);
}

/** A nested object of options (no unknown keys). */
export function obj<P extends Props, A extends Doc>(properties: P, a: A): Opt<OptionsOf<P>, PresenceOf<A>> {
  const { required, nullable, ...rest } = a;
  const req = requiredKeys(properties);
  const extra = { additionalProperties: false, ...rest, properties: schemasOf(properties), ...(req.length ? { required: req } : {}) };
  return { schema: { type: nullable ? ['object', 'null'] : 'object', ...extra }, presence: ('default' in a ? 'filled' : required ? 'required' : 'optional') as PresenceOf<A> };
}

/**
 * An option whose schema the builders above do not express (anyOf, int-or-tuple, …): the schema as
 * written, with its value type given explicitly: `custom<number | number[]>()({ type: [...], … })`.
 */
export const custom =
  <T>() =>
  <A extends JSONSchema & Doc>(schema: A): Opt<T, PresenceOf<A>> => {
    const { required, ...rest } = schema;
    return { schema: rest, presence: ('default' in schema ? 'filled' : required ? 'required' : 'optional') as PresenceOf<A> };
  };

/** A component's options: `{ type: 'object', additionalProperties: false, properties, required? }`. */
export function opts<P extends Props = Record<never, never>>(properties: P = {} as P): OptionsDecl<OptionsOf<P>> {
  const req = requiredKeys(properties);
  return { schema: { type: 'object', additionalProperties: false, properties: schemasOf(properties), ...(req.length ? { required: req } : {}) } };
}

function isOpt(x: unknown): x is Opt<unknown> {
  return typeof x === 'object' && x !== null && 'presence' in x && 'schema' in x;
}

const schemasOf = (p: Props): Record<string, JSONSchema> => Object.fromEntries(Object.entries(p).map(([k, o]) => [k, o.schema]));
const requiredKeys = (p: Props): string[] => Object.entries(p).filter(([, o]) => o.presence === 'required').map(([k]) => k);
