import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from './language-model-provider.ts';
import { sampleFromSchema } from './schema-sample.ts';
import { seededRandom } from './seeded-random.ts';

const ajv = new Ajv2020({ strict: false });
ajv.addFormat('email', /@/);
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T/);
ajv.addFormat('uri', /^https?:\/\//);
ajv.addFormat('uuid', /^[0-9a-f-]{36}$/);

const schemas: JsonSchema[] = [
  {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 30, maxLength: 40 },
      email: { type: 'string', format: 'email' },
      when: { type: 'string', format: 'date-time' },
      id: { type: 'string', format: 'uuid' },
      count: { type: 'integer', minimum: 3, maximum: 7 },
      ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      flag: { type: 'boolean' },
      nothing: { type: 'null' },
      kind: { enum: ['a', 'b'] },
      fixed: { const: 42 },
      maybe: { type: ['string', 'null'] },
    },
    required: ['name', 'email', 'count', 'kind'],
    additionalProperties: false,
  },
  {
    $defs: { item: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] } },
    type: 'array',
    items: { $ref: '#/$defs/item' },
    minItems: 2,
    maxItems: 4,
  },
  { anyOf: [{ type: 'integer', minimum: 10 }, { type: 'string' }] },
  {
    allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { required: ['b'] }],
  },
];

describe('sampleFromSchema', () => {
  it.each(schemas.map((schema, index) => [index, schema]))(
    'schema %i: every sample is valid',
    (_, schema) => {
      const validate = ajv.compile(schema);
      fc.assert(
        fc.property(fc.integer(), (seed) => {
          const value = sampleFromSchema(schema, seededRandom(seed));
          expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
        }),
        { numRuns: 200 },
      );
    },
  );

  it('is deterministic for the same seed', () => {
    const schema = schemas[0] as JsonSchema;
    expect(sampleFromSchema(schema, seededRandom(7))).toEqual(sampleFromSchema(schema, seededRandom(7)));
  });

  it('reads constraints a provider moved into the description', () => {
    const schema = { type: 'integer', description: 'minimum: 1; maximum: 5.' };
    for (let seed = 0; seed < 50; seed++) {
      const value = sampleFromSchema(schema, seededRandom(seed)) as number;
      expect(value).toBeGreaterThanOrEqual(1);
      expect(value).toBeLessThanOrEqual(5);
    }
  });
});
