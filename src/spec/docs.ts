// Owns the generated parts of the docs: the spec-reference table (docs/spec.md), the component lists
// (docs/components.md) and schema/mtl.schema.json. `npm run docs` rewrites them; a test fails when
// they are stale.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REGISTRIES } from '../registries';
import type { JSONSchema } from '../registry';
import { writeFileAtomic } from '../util/fs';
import { packageRoot } from '../util/paths';
import { buildSchema } from './schema';

type S = JSONSchema & { properties?: Record<string, S>; additionalProperties?: S | boolean; items?: S; default?: unknown; description?: string; enum?: unknown[]; type?: string | string[] };

function typeOf(s: S, defs: Record<string, S>): string {
  if (s.$ref) return String(s.$ref).split('/').pop() ?? 'object';
  if (s.enum) return s.enum.map((e) => `\`${e}\``).join(' \\| ');
  if (s.anyOf) return (s.anyOf as S[]).map((x) => typeOf(x, defs)).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items, defs) : 'values'}`;
  return Array.isArray(s.type) ? s.type.join(' \\| ') : String(s.type ?? 'object');
}

const cell = (v: unknown) => (v === undefined ? '' : `\`${JSON.stringify(v)}\``);
const esc = (s: string) => s.replace(/\|/g, '\\|');

/** Rows `| key | type | default | meaning |` for every key a spec can hold (component options excepted). */
export function specReferenceRows(): string[] {
  const schema = buildSchema() as S;
  const defs = (schema.definitions ?? {}) as Record<string, S>;
  const rows: string[] = [];
  const walk = (props: Record<string, S>, prefix: string) => {
    for (const [k, s] of Object.entries(props)) {
      if (k === '$schema') continue;
      const key = `${prefix}${k}`;
      const desc = s.description ?? (s.$ref ? defs[String(s.$ref).split('/').pop() ?? '']?.description : '') ?? '';
      const discriminated = s.allOf && s.properties;
      rows.push(`| \`${key}\` | ${typeOf(s, defs)} | ${cell(s.default)} | ${esc(String(desc))}${discriminated ? ' — options per type: see [components.md](components.md#components)' : ''} |`);
      if (discriminated) {
        const [disc, ds] = Object.entries(s.properties as Record<string, S>)[0];
        rows.push(`| \`${key}.${disc}\` | ${typeOf(ds, defs)} | ${cell(ds.default)} | which component |`);
        // Options every component of the kind shares (weighting.updateEvery, …) follow the discriminator.
        walk(Object.fromEntries(Object.entries(s.properties as Record<string, S>).slice(1)), `${key}.`);
        continue;
      }
      if (s.properties) walk(s.properties, `${key}.`);
      // A list of objects (train.paramGroups, stages): the keys of one item.
      if (s.items?.properties) walk(s.items.properties, `${key}[].`);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        const inner = s.additionalProperties as S;
        if (inner.properties) walk(inner.properties, `${key}.<name>.`);
      }
    }
  };
  walk(schema.properties as Record<string, S>, '');
  return rows;
}

export function componentsMarkdown(): string {
  const out: string[] = [];
  for (const [kind, reg] of Object.entries(REGISTRIES)) {
    out.push(`**${kind}** (\`mtl list ${kind}\`)`, '', '| type | description | options (default) |', '| --- | --- | --- |');
    for (const d of reg.list()) {
      const props = (d.schema.properties ?? {}) as Record<string, S>;
      const opts = Object.entries(props)
        .map(([k, s]) => `${k}${s.default !== undefined ? ` (${JSON.stringify(s.default)})` : (d.schema.required as string[] | undefined)?.includes(k) ? ' (required)' : ''}`)
        .join(', ');
      out.push(`| \`${d.type}\` | ${esc(d.description)} | ${esc(opts) || '—'} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

export function replaceBetween(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`markers ${start} … ${end} not found`);
  return text.slice(0, a + start.length) + '\n' + body + '\n' + text.slice(b);
}

export function specReferenceMarkdown(): string {
  return ['| key | type | default | meaning |', '| --- | --- | --- | --- |', ...specReferenceRows()].join('\n');
}

/** Each generated section: the name in its `<!-- name:start -->` … `<!-- name:end -->` markers, and its text. */
export const GENERATED: Record<string, () => string> = {
  'spec-reference': specReferenceMarkdown,
  components: componentsMarkdown,
};

/** The hand-written files that may hold generated sections: README.md and docs/*.md, relative to the root. */
export function docFiles(root = packageRoot()): string[] {
  const docs = fs.existsSync(path.join(root, 'docs')) ? fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort() : [];
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

/** `text` with every generated section it holds brought up to date. */
export function renderDoc(text: string): string {
  let out = text;
  for (const [name, body] of Object.entries(GENERATED)) if (out.includes(`<!-- ${name}:start -->`)) out = replaceBetween(out, name, body());
  return out;
}

export function schemaFileText(): string {
  return JSON.stringify(buildSchema(), null, 2) + '\n';
}

if (require.main === module) {
  const root = packageRoot();
  const written: string[] = [];
  for (const f of docFiles(root)) {
    const text = fs.readFileSync(path.join(root, f), 'utf8');
    if (renderDoc(text) === text && !Object.keys(GENERATED).some((n) => text.includes(`<!-- ${n}:start -->`))) continue;
    writeFileAtomic(path.join(root, f), renderDoc(text));
    written.push(f);
  }
  writeFileAtomic(path.join(root, 'schema/mtl.schema.json'), schemaFileText());
  process.stdout.write(`${[...written, 'schema/mtl.schema.json'].join(', ')} regenerated\n`);
}
