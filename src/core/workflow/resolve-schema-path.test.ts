import { describe, expect, it } from 'vitest';
import { resolveSchemaPath, rootSchemas, schemaTypes } from './resolve-schema-path.ts';

const schema = {
  type: 'object',
  properties: {
    summary: { $ref: '#/$defs/summary' },
    pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
    tuple: { type: 'array', prefixItems: [{ type: 'string' }] },
    open: { type: 'object', additionalProperties: true },
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
    closed: { type: 'object', properties: { a: { type: 'string' } } },
    loose: { type: 'object' },
    byPattern: { type: 'object', patternProperties: { '^x-': { type: 'boolean' } } },
    either: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'null' }] },
    both: { allOf: [{ type: 'object', properties: { a: { type: 'integer' } } }, { required: ['a'] }] },
    tree: { $ref: '#/$defs/node' },
    external: { $ref: 'https://example.com/schema.json' },
  },
  $defs: {
    summary: {
      type: 'object',
      properties: {
        total: { type: 'integer' },
        items: { type: 'array', items: { type: 'object', properties: { title: { type: 'string' } } } },
      },
    },
    node: {
      type: 'object',
      properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
    },
  },
};

const known = (...path: string[]) => resolveSchemaPath(schema, path).known;
const typesAt = (...path: string[]) => {
  const result = resolveSchemaPath(schema, path);
  return result.known ? schemaTypes(result.schemas) : 'unknown';
};

describe('resolveSchemaPath', () => {
  it('follows properties, $ref, items and prefixItems', () => {
    expect(typesAt('summary', 'total')).toEqual(new Set(['integer']));
    expect(typesAt('summary', 'items', '9', 'title')).toEqual(new Set(['string']));
    expect(typesAt('pair', '1')).toEqual(new Set(['integer']));
    expect(known('pair', '2')).toBe(false);
    expect(known('tuple', '5')).toBe(true);
    expect(typesAt('tree', 'children', '0', 'children', '3', 'name')).toEqual(new Set(['string']));
  });

  it('treats declared properties without additionalProperties as closed, and open objects as open', () => {
    expect(known('closed', 'b')).toBe(false);
    expect(known('summary', 'nope')).toBe(false);
    expect(known('open', 'anything', 'deep')).toBe(true);
    expect(typesAt('counts', 'any')).toEqual(new Set(['integer']));
    expect(known('loose', 'x')).toBe(true);
    expect(typesAt('byPattern', 'x-flag')).toEqual(new Set(['boolean']));
    expect(known('byPattern', 'flag')).toBe(false);
  });

  it('knows a path when any branch of anyOf/oneOf/allOf has it', () => {
    expect(typesAt('either', 'a')).toEqual(new Set(['string']));
    expect(known('either', 'b')).toBe(false);
    expect(typesAt('either')).toEqual(new Set(['object', 'null']));
    expect(typesAt('both', 'a')).toEqual(new Set(['integer']));
    expect(known('both', 'b')).toBe(false);
  });

  it('finds nothing inside a string, number or boolean, nor a name on an array', () => {
    const result = resolveSchemaPath(schema, ['summary', 'total', 'digits']);
    expect(result).toMatchObject({ known: false, depth: 2 });
    expect(result.known ? undefined : schemaTypes(result.parents)).toEqual(new Set(['integer']));
    expect(known('summary', 'items', 'length')).toBe(false);
  });

  it('leaves what it cannot judge open: external $ref, a schema without shape', () => {
    expect(known('external', 'a', 'b')).toBe(true);
    expect(resolveSchemaPath({}, ['a', '0'])).toEqual({ known: true, schemas: [{}] });
    expect(schemaTypes([{}])).toBeUndefined();
  });

  it('stops on a $ref loop instead of recursing', () => {
    const loop = { $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' };
    expect(resolveSchemaPath(loop, ['x']).known).toBe(false);
  });
});

describe('rootSchemas', () => {
  it('collects the root, its $ref target and allOf branches', () => {
    const root = {
      $ref: '#/$defs/base',
      allOf: [{ required: ['b'] }],
      $defs: { base: { type: 'object', required: ['a'], additionalProperties: false } },
    };
    expect(rootSchemas(root).flatMap((node) => (Array.isArray(node.required) ? node.required : []))).toEqual([
      'a',
      'b',
    ]);
  });
});
