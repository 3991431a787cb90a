// Owns reading a data recipe's options against its own JSON Schema when describe()/create() are
// called without the spec's ajv pass (tests, the API): same defaults, ranges and unknown-key errors.
import { configError, type Problem } from '../errors';
import type { JSONSchema } from '../registry';
import { didYouMean } from '../util/suggest';

interface PropSchema {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  minLength?: number;
  default?: unknown;
}

function typeOk(v: unknown, types: string[]): boolean {
  return types.some((t) => (t === 'integer' ? typeof v === 'number' && Number.isInteger(v) : t === 'null' ? v === null : typeof v === t));
}

/**
 * The recipe's options with defaults filled in; throws a config error listing every bad option.
 * Only the keywords the recipes use are checked (type, range, enum, minLength).
 */
export function readOptions(recipe: string, schema: JSONSchema, config: Record<string, unknown>): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, PropSchema>;
  const problems: Problem[] = [];
  const out: Record<string, unknown> = {};
  const names = Object.keys(props);
  for (const k of Object.keys(config)) {
    if (k !== 'type' && !(k in props)) {
      problems.push({ where: { path: `data.${k}` }, message: `unknown option "${k}" of data type ${recipe}`, allowed: names.join(', '), hint: didYouMean(k, names) });
    }
  }
  for (const [k, p] of Object.entries(props)) {
    const v = config[k];
    if (v === undefined) {
      if (p.default !== undefined) out[k] = p.default;
      continue;
    }
    const where = { path: `data.${k}` };
    const types = p.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
    if (types.length && !typeOk(v, types)) {
      problems.push({ where, message: `${k} must be ${types.join(' or ')}`, received: v });
      continue;
    }
    if (p.enum && !p.enum.includes(v)) {
      problems.push({ where, message: `${k} is not one of the allowed values`, received: v, allowed: p.enum.join(', ') });
      continue;
    }
    if (typeof v === 'number') {
      const range: string[] = [];
      if (p.minimum !== undefined && v < p.minimum) range.push(`≥ ${p.minimum}`);
      if (p.exclusiveMinimum !== undefined && v <= p.exclusiveMinimum) range.push(`> ${p.exclusiveMinimum}`);
      if (p.maximum !== undefined && v > p.maximum) range.push(`≤ ${p.maximum}`);
      if (p.exclusiveMaximum !== undefined && v >= p.exclusiveMaximum) range.push(`< ${p.exclusiveMaximum}`);
      if (range.length) problems.push({ where, message: `${k} is out of range`, received: v, allowed: range.join(' and ') });
    }
    if (typeof v === 'string' && p.minLength !== undefined && v.length < p.minLength) problems.push({ where, message: `${k} must not be empty`, received: v });
    out[k] = v;
  }
  if (problems.length) throw configError(problems);
  return out;
}
