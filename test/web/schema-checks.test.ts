import { describe, expect, it } from 'vitest';
import { checkJsonSchema } from '../../web/src/lib/check-json-schema.ts';
import { defaultsOf, formSupports, withoutBlanks } from '../../web/src/lib/schema-form.ts';

const patch = {
  type: 'object',
  properties: {
    patch: { type: 'string', minLength: 1 },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    severity: { type: 'string', enum: ['low', 'high'] },
    files: { type: 'array', items: { type: 'string' }, maxItems: 2 },
  },
  required: ['patch', 'confidence'],
  additionalProperties: false,
};

describe('the console’s schema check of an edited output', () => {
  it('accepts a value that fits and names each problem by its JSON pointer', () => {
    expect(checkJsonSchema(patch, { patch: 'x', confidence: 0.5, files: ['a'] })).toEqual([]);
    expect(
      checkJsonSchema(patch, {
        patch: '',
        confidence: 'high',
        severity: 'mid',
        files: ['a', 'b', 3],
        extra: 1,
      }),
    ).toEqual([
      { pointer: '/patch', message: 'should have at least 1 characters' },
      { pointer: '/confidence', message: 'should be number, is string' },
      { pointer: '/severity', message: 'should be one of "low", "high"' },
      { pointer: '/files', message: 'should have at most 2 items' },
      { pointer: '/files/2', message: 'should be string, is integer' },
      { pointer: '/extra', message: '"extra" is not a property this schema allows' },
    ]);
    expect(checkJsonSchema(patch, { confidence: 2 })).toEqual([
      { pointer: '/', message: 'is missing the required property "patch"' },
      { pointer: '/confidence', message: 'should be at most 1' },
    ]);
  });

  it('treats integers as numbers, compares enum objects regardless of key order, and checks anyOf', () => {
    expect(checkJsonSchema({ type: 'number' }, 3)).toEqual([]);
    expect(checkJsonSchema({ type: 'integer' }, 3.5)).toHaveLength(1);
    expect(checkJsonSchema({ enum: [{ a: 1, b: 2 }] }, { b: 2, a: 1 })).toEqual([]);
    const either = { anyOf: [{ type: 'string' }, { type: 'null' }] };
    expect(checkJsonSchema(either, null)).toEqual([]);
    expect(checkJsonSchema(either, 1)).toHaveLength(1);
  });
});

describe('the generated run form', () => {
  it('edits nested objects, arrays and enums, and leaves $ref and oneOf to the JSON tab', () => {
    expect(formSupports(patch)).toBe(true);
    expect(
      formSupports({
        type: 'object',
        properties: {
          target: { type: 'object', properties: { repo: { type: 'string' } } },
          tags: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' } } } },
        },
      }),
    ).toBe(true);
    expect(formSupports({ type: 'object', properties: { a: { $ref: '#/$defs/a' } } })).toBe(false);
    expect(formSupports({ type: 'object', properties: { a: { oneOf: [{ type: 'string' }] } } })).toBe(false);
  });

  it('starts from the schema’s defaults, nested, and drops blank text before sending', () => {
    const schema = {
      type: 'object',
      properties: {
        depth: { type: 'string', default: 'quick' },
        limits: {
          type: 'object',
          properties: { words: { type: 'integer', default: 300 }, tone: { type: 'string' } },
        },
        empty: { type: 'object', properties: { x: { type: 'string' } } },
      },
    };
    expect(defaultsOf(schema)).toEqual({ depth: 'quick', limits: { words: 300 } });
    expect(defaultsOf(null)).toEqual({});
    expect(withoutBlanks({ a: '', b: 'x', c: { d: '', e: 0 }, f: ['', 'y'] })).toEqual({
      b: 'x',
      c: { e: 0 },
      f: ['', 'y'],
    });
  });
});
