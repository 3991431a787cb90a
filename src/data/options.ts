// Owns reading a data recipe's options against its own JSON Schema when describe()/create() are
// called without the spec's validation pass (tests, the API): the shared options validator
// (src/registry.ts) fills the defaults; its errors are reported in the recipes' own words.
import type { ErrorObject } from 'ajv';
import { configError, type Problem } from '../errors';
import { checkOptions, type JSONSchema } from '../registry';
import { didYouMean } from '../util/suggest';

interface PropSchema {
  type?: string | string[];
  enum?: unknown[];
}

const RANGE: Record<string, string> = { minimum: '≥', exclusiveMinimum: '>', maximum: '≤', exclusiveMaximum: '<' };

/** The problems of one option, in the order type, enum, range, length (a wrong type hides the rest). */
function optionProblems(k: string, p: PropSchema, v: unknown, errors: ErrorObject[]): Problem[] {
  const where = { path: `data.${k}` };
  const has = (kw: string) => errors.some((e) => e.keyword === kw);
  if (has('type')) {
    const types = p.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
    return [{ where, message: `${k} must be ${types.join(' or ')}`, received: v }];
  }
  if (has('enum')) return [{ where, message: `${k} is not one of the allowed values`, received: v, allowed: (p.enum ?? []).join(', ') }];
  const out: Problem[] = [];
  const range = Object.keys(RANGE)
    .filter(has)
    .map((kw) => `${RANGE[kw]} ${(errors.find((e) => e.keyword === kw)?.params as { limit: number }).limit}`);
  if (range.length) out.push({ where, message: `${k} is out of range`, received: v, allowed: range.join(' and ') });
  if (has('minLength')) out.push({ where, message: `${k} must not be empty`, received: v });
  for (const e of errors.filter((x) => !['type', 'enum', 'minLength', ...Object.keys(RANGE)].includes(x.keyword))) {
    out.push({ where, message: `${k} ${e.message ?? 'is invalid'}`, received: v });
  }
  return out;
}

/** The recipe's options with defaults filled in; throws a config error listing every bad option. */
export function readOptions(recipe: string, schema: JSONSchema, config: Record<string, unknown>): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, PropSchema>;
  const names = Object.keys(props);
  const { type: _type, ...given } = config;
  const { value, errors } = checkOptions(schema, given);
  const problems: Problem[] = [];
  for (const k of Object.keys(given)) {
    if (!(k in props)) problems.push({ where: { path: `data.${k}` }, message: `unknown option "${k}" of data type ${recipe}`, allowed: names.join(', '), hint: didYouMean(k, names) });
  }
  const keyOf = (e: ErrorObject) => e.instancePath.slice(1).split('/')[0];
  for (const k of names) {
    const mine = errors.filter((e) => keyOf(e) === k);
    if (mine.length) problems.push(...optionProblems(k, props[k], given[k], mine));
  }
  if (problems.length) throw configError(problems);
  return value;
}
