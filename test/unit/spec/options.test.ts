// Typed component options (src/util/options.ts) and the one options validator (src/registry.ts):
// the schema a declaration produces, and what `create` receives.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { checkOptions, component } from '../../../src/registry';
import { custom, int, list, num, obj, oneOf, opts, str, type Options } from '../../../src/util/options';
import { weightingOptions } from '../../../src/weighting/options';

const decl = opts({
  alpha: num({ minimum: 0, default: 1.5, description: 'a' }),
  k: int({ required: true, minimum: 1, description: 'k' }),
  mode: oneOf(['x', 'y'], { default: 'x', description: 'm' }),
  tags: list(str({ pattern: '^[A-Z]$' }), { minItems: 1, description: 't' }),
  reg: obj({ l1: num({ default: 0, description: 'l1' }) }, { description: 'r' }),
  size: custom<number | number[]>()({ type: ['integer', 'array'], default: 2, description: 's' }),
});

describe('typed options', () => {
  it('one declaration gives the JSON Schema, required keys lifted to the object', () => {
    assert.deepEqual(decl.schema, {
      type: 'object',
      additionalProperties: false,
      properties: {
        alpha: { type: 'number', minimum: 0, default: 1.5, description: 'a' },
        k: { type: 'integer', minimum: 1, description: 'k' },
        mode: { type: 'string', enum: ['x', 'y'], default: 'x', description: 'm' },
        tags: { type: 'array', items: { type: 'string', pattern: '^[A-Z]$' }, minItems: 1, description: 't' },
        reg: { type: 'object', additionalProperties: false, description: 'r', properties: { l1: { type: 'number', default: 0, description: 'l1' } } },
        size: { type: ['integer', 'array'], default: 2, description: 's' },
      },
      required: ['k'],
    });
    assert.deepEqual(oneOf([18, 34], { description: 'd' }).schema.type, 'integer');
    assert.deepEqual(oneOf([0.5, 1], { description: 'd' }).schema.type, 'number');
    assert.deepEqual(num({ nullable: true, default: null, description: 'n' }).schema.type, ['number', 'null']);
  });

  it('create receives the options validated and complete; the discriminator passes through', () => {
    let got: Options<typeof decl> | undefined;
    const d = component({ type: 't', description: 'test', options: decl, create: (o) => (got = o) });
    d.create({ type: 't', k: 3, reg: {} }, undefined);
    assert.deepEqual(got, { type: 't', k: 3, alpha: 1.5, mode: 'x', reg: { l1: 0 }, size: 2 });
    const input = Object.freeze({ k: 1 });
    d.create(input, undefined);
    assert.deepEqual(input, { k: 1 }, 'the caller\'s object is not filled in place');
  });

  it('create rejects a bad option with its path', () => {
    const d = component({ type: 't', description: 'test', options: decl, create: (o) => o });
    assert.throws(
      () => d.create({ k: 0, mode: 'z' }, undefined),
      (e: unknown) => e instanceof MtlError && e.kind === 'config' && /^k: invalid option of "t": must be >= 1/m.test(e.message) && /^mode: invalid option of "t"/m.test(e.message),
    );
  });

  it('checkOptions reports every error at once and leaves its input alone', () => {
    const input = { k: 'no', alpha: -1, extra: 1 };
    const { errors } = checkOptions(decl.schema, input);
    assert.deepEqual(errors.map((e) => e.keyword).sort(), ['additionalProperties', 'minimum', 'type']);
    assert.deepEqual(input, { k: 'no', alpha: -1, extra: 1 });
  });

  it('the options every weighting method shares come from the same declarations, defaults filled', () => {
    assert.deepEqual(weightingOptions({ method: 'pcgrad' }), { gradSpace: 'parameters', updateEvery: 1, diagnostics: { every: 'auto', cosine: true } });
    assert.deepEqual(weightingOptions({ method: 'mgda', updateEvery: 4, diagnostics: { every: 0 } }), { gradSpace: 'parameters', updateEvery: 4, diagnostics: { every: 0, cosine: true } });
  });
});
