// Owns spec validation: shorthands → ajv (all errors, defaults filled) → cross-field checks →
// a frozen ResolvedSpec. Every problem is reported at once with its YAML line and column.
import type { ErrorObject } from 'ajv';
import * as path from 'node:path';
import { configError, type PathSeg, type Problem } from '../errors';
import { validatorFor, type JSONSchema } from '../registry';
import { didYouMean, suggest } from '../util/suggest';
import { crossFieldChecks, type CheckOptions } from './checks';
import { loadSpecFile, loadSpecText, locate, type LoadedSpec } from './load';
import { buildSchema } from './schema';
import type { ResolvedSpec, Spec } from './types';

/**
 * A key one level too high (Keras's `epochs`, `batch_size`, `loss_weights` at the top of a spec): the
 * key it names under one of the allowed keys (`train.epochs`, `tasks.<task>.weight`), when it is no typo
 * of an allowed key itself.
 */
function nestedKeyHint(key: string, parent: Obj | undefined): string | undefined {
  const where = new Map<string, string>();
  for (const [p, s] of Object.entries((parent?.properties as Record<string, Obj> | undefined) ?? {})) {
    const each = s?.additionalProperties as Obj | undefined;
    const [props, prefix] = s?.properties ? [s.properties as Obj, p] : each && typeof each === 'object' && each.properties ? [each.properties as Obj, `${p}.<${p.replace(/s$/, '')}>`] : [undefined, ''];
    for (const k of Object.keys(props ?? {})) if (!where.has(k)) where.set(k, `${prefix}.${k}`);
  }
  const s = suggest(key, [...where.keys()]);
  return s === undefined ? undefined : `did you mean "${where.get(s)}"?`;
}

let schema: JSONSchema | undefined;
/** The spec schema, built once, checked by the shared options validator (all errors, defaults filled). */
const validator = () => validatorFor((schema ??= buildSchema()));

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Accept the short forms users write: `loss: mse`, `metrics: [accuracy]`, `optimizer: adam`, `- flatten:`, `freeze: backbone`. */
export function expandShorthands(value: unknown): unknown {
  if (!isObj(value)) return value;
  const v: Obj = structuredClone(value);
  const named = (x: unknown, key = 'type') => (typeof x === 'string' ? { [key]: x } : x);
  const layerList = (list: unknown) =>
    Array.isArray(list) ? list.map((item) => (typeof item === 'string' ? { [item]: {} } : isObj(item) ? Object.fromEntries(Object.entries(item).map(([k, a]) => [k, a ?? {}])) : item)) : list;
  if ('data' in v) v.data = named(v.data);
  if ('backbone' in v) v.backbone = v.backbone === null ? [] : isObj(v.backbone) ? expandGraph(v.backbone, layerList) : layerList(v.backbone);
  if ('architecture' in v) {
    v.architecture = named(v.architecture);
    if (isObj(v.architecture)) for (const k of ['expert', 'upperExpert']) if (k in v.architecture) v.architecture[k] = layerList(v.architecture[k]);
  }
  if ('weighting' in v) v.weighting = named(v.weighting, 'method');
  // `features: {numbers:}` — a float input passed as it is.
  if (isObj(v.features)) for (const k of Object.keys(v.features)) v.features[k] ??= {};
  if (isObj(v.tasks)) {
    for (const t of Object.values(v.tasks)) {
      if (!isObj(t)) continue;
      if ('head' in t) t.head = layerList(t.head);
      if ('loss' in t) t.loss = named(t.loss);
      if (Array.isArray(t.metrics)) t.metrics = t.metrics.map((m) => named(m));
      else if (t.metrics === null) t.metrics = [];
    }
  }
  if (Array.isArray(v.stages)) {
    for (const st of v.stages) {
      if (!isObj(st)) continue;
      if ('optimizer' in st) st.optimizer = named(st.optimizer);
      if ('weighting' in st) st.weighting = named(st.weighting, 'method');
      for (const k of ['freeze', 'unfreeze', 'tasks']) if (typeof st[k] === 'string') st[k] = [st[k]];
    }
  }
  if (isObj(v.train)) {
    if ('optimizer' in v.train) v.train.optimizer = named(v.train.optimizer);
    if ('schedule' in v.train) v.train.schedule = named(v.train.schedule);
  }
  return v;
}

/** Short forms inside a graph backbone: submodel and node layer lists, `layer: {concatenate:}`. */
function expandGraph(g: Obj, layerList: (list: unknown) => unknown): Obj {
  if (isObj(g.submodels)) for (const k of Object.keys(g.submodels)) g.submodels[k] = layerList(g.submodels[k]);
  if (isObj(g.nodes)) {
    for (const n of Object.values(g.nodes)) {
      if (!isObj(n)) continue;
      if ('layers' in n) n.layers = layerList(n.layers);
      if ('layer' in n) n.layer = typeof n.layer === 'string' || isObj(n.layer) ? (layerList([n.layer]) as unknown[])[0] : n.layer;
      if (typeof n.inputs === 'string') n.inputs = [n.inputs];
    }
  }
  return g;
}

function pointerToPath(pointer: string, root: unknown): PathSeg[] {
  if (!pointer) return [];
  const out: PathSeg[] = [];
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: PathSeg = Array.isArray(node) ? Number(key) : key;
    out.push(seg);
    node = (node as Record<string | number, unknown> | undefined)?.[seg];
  }
  return out;
}

function valueAt(root: unknown, p: readonly PathSeg[]): unknown {
  let node = root;
  for (const seg of p) node = (node as Record<string | number, unknown> | undefined)?.[seg];
  return node;
}

function ajvProblems(spec: LoadedSpec, data: unknown, errors: ErrorObject[]): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  const push = (p: Problem) => {
    const k = `${p.where.path}|${p.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(p);
    }
  };
  // The anyOf branches' own complaints are noise next to the anyOf summary.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (anyOfPaths.has(e.instancePath) && e.keyword !== 'anyOf') continue;
    const p = pointerToPath(e.instancePath, data);
    const received = valueAt(data, p);
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const allowedKeys = Object.keys(((e.parentSchema as Obj)?.properties as Obj) ?? {});
        push({
          where: locate(spec, [...p, key], { key: true }),
          message: `unknown key "${key}"`,
          allowed: allowedKeys.length ? allowedKeys.join(', ') : 'no keys',
          hint: didYouMean(key, allowedKeys) ?? nestedKeyHint(key, e.parentSchema as Obj),
        });
        break;
      }
      case 'propertyNames': {
        const name = (e.params as { propertyName: string }).propertyName;
        const names = ((e.schema as Obj)?.enum as string[]) ?? [];
        if (names.length) {
          push({ where: locate(spec, [...p, name], { key: true }), message: `unknown layer type "${name}"`, allowed: names.join(', '), hint: didYouMean(name, names) });
        } else {
          push({ where: locate(spec, [...p, name], { key: true }), message: `invalid name "${name}"`, allowed: 'a letter, then letters, digits or _' });
        }
        break;
      }
      case 'enum': {
        if ((e as ErrorObject & { propertyName?: string }).propertyName !== undefined) break; // reported by propertyNames
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
        const what = p.length ? String(p[p.length - 1]) : 'value';
        push({ where: locate(spec, p), message: `unknown ${what} ${JSON.stringify(received)}`, allowed: allowed.join(', '), hint: typeof received === 'string' ? didYouMean(received, allowed) : undefined });
        break;
      }
      case 'pattern': {
        if ((e as ErrorObject & { propertyName?: string }).propertyName !== undefined) break;
        push({ where: locate(spec, p), message: 'does not match the expected form', received, allowed: `${(e.parentSchema as Obj)?.description ?? e.params.pattern}` });
        break;
      }
      case 'required': {
        const key = (e.params as { missingProperty: string }).missingProperty;
        push({ where: locate(spec, p), message: `missing required key "${key}"` });
        break;
      }
      case 'minProperties':
      case 'maxProperties': {
        const isLayer = (e.parentSchema as Obj)?.propertyNames && Array.isArray(((e.parentSchema as Obj).propertyNames as Obj).enum);
        push({
          where: locate(spec, p),
          message: isLayer ? 'a layer is one key naming its type, e.g. "- dense: {units: 10}"' : e.message ?? 'wrong number of keys',
          received,
        });
        break;
      }
      case 'anyOf': {
        const branches = ((e.schema as Obj[] | undefined) ?? []).map(describeBranch);
        const allowed = branches.every(Boolean) ? branches.join(', or ') : String((e.parentSchema as Obj)?.description ?? 'see the schema');
        // Keras's validation_split: 0 means none; here 0 is no fraction.
        const none = received === 0 && branches.some((b) => b?.includes('"none"')) ? 'for no validation split write none' : undefined;
        push({ where: locate(spec, p), message: 'invalid value', received, allowed, hint: none });
        break;
      }
      case 'type':
        push({ where: locate(spec, p), message: `must be ${(e.params as { type: string | string[] }).type.toString().replace(',', ' or ')}`, received });
        break;
      default:
        push({ where: locate(spec, p), message: e.message ?? e.keyword, received });
    }
  }
  return out;
}

function freeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) freeze(v);
  }
  return o;
}

/** Validate a loaded spec; throws MtlError('config') listing every problem. */
export function validateLoaded(spec: LoadedSpec, opts: CheckOptions = {}): Spec {
  const data = expandShorthands(spec.value);
  if (!isObj(data)) throw configError([{ where: { file: spec.file, line: 1, col: 1 }, message: 'a spec is a YAML mapping of keys (name, data, inputs, backbone, tasks, …)', received: data }]);
  delete data.$schema;
  const validate = validator();
  if (!validate(data)) throw configError(ajvProblems(spec, data, validate.errors ?? []));
  const specDir = path.dirname(path.resolve(spec.file));
  const problems = crossFieldChecks(spec, data as unknown as ResolvedSpec, specDir, opts);
  if (problems.length) throw configError(problems);
  return { resolved: freeze(data as unknown as ResolvedSpec), file: spec.file, specDir, locate: (p) => locate(spec, p) };
}

export function validateSpecFile(file: string): Spec {
  return validateLoaded(loadSpecFile(file));
}

export function validateSpecText(text: string, file = 'spec.yaml'): Spec {
  return validateLoaded(loadSpecText(text, file));
}

/** One branch of an anyOf in words (`a number > 0 and < 1`, `"test", "none"`), or undefined when it has no short form. */
function describeBranch(b: Obj): string | undefined {
  if (Array.isArray(b.enum)) return b.enum.map((v) => JSON.stringify(v)).join(', ');
  if (b.type !== 'number' && b.type !== 'integer') return undefined;
  const bounds = [
    b.exclusiveMinimum !== undefined ? `> ${b.exclusiveMinimum}` : b.minimum !== undefined ? `≥ ${b.minimum}` : '',
    b.exclusiveMaximum !== undefined ? `< ${b.exclusiveMaximum}` : b.maximum !== undefined ? `≤ ${b.maximum}` : '',
  ].filter(Boolean);
  return `${b.type === 'integer' ? 'an integer' : 'a number'}${bounds.length ? ` ${bounds.join(' and ')}` : ''}`;
}
