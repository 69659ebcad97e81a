import type { JsonSchema } from '../api/api-types.ts';

/**
 * Arguments to start a "Test tool" from: each required property with a value of its type (its
 * default, first enum value or example when the schema has one). The user edits them before sending.
 */
export function sampleArguments(schema: JsonSchema | null | undefined): Record<string, unknown> {
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const required = Array.isArray(schema?.required) ? (schema.required as string[]) : [];
  const sample: Record<string, unknown> = {};
  for (const name of required) sample[name] = sampleValue(properties[name] ?? {}, 0);
  return sample;
}

function sampleValue(schema: JsonSchema, depth: number): unknown {
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return '';
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return depth < 3 ? sampleNested(schema, depth + 1) : {};
    default:
      return null;
  }
}

function sampleNested(schema: JsonSchema, depth: number): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  return Object.fromEntries(required.map((name) => [name, sampleValue(properties[name] ?? {}, depth)]));
}
