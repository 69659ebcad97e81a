import type { JsonSchema } from '../api/api-types.ts';

export const fieldTypes = ['string', 'number', 'integer', 'boolean', 'array', 'object'] as const;
export type FieldType = (typeof fieldTypes)[number];

export interface SchemaField {
  name: string;
  type: FieldType;
  description: string;
  required: boolean;
}

/**
 * The visual builder edits a flat object schema; anything richer (nested properties, enums, $defs)
 * stays in the raw JSON tab, and `fieldsFromSchema` returns null so the builder does not lose it.
 */
export function fieldsFromSchema(schema: JsonSchema | null): SchemaField[] | null {
  if (schema === null) return [];
  if (schema.type !== 'object') return null;
  const topLevel = new Set(['type', 'properties', 'required', 'additionalProperties']);
  if (Object.keys(schema).some((key) => !topLevel.has(key))) return null;
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const fields: SchemaField[] = [];
  for (const [name, property] of Object.entries(properties)) {
    const allowed = new Set(['type', 'description', 'items']);
    if (Object.keys(property).some((key) => !allowed.has(key))) return null;
    const type = property.type as FieldType;
    if (!fieldTypes.includes(type)) return null;
    if (type === 'array' && JSON.stringify(property.items ?? {}) !== JSON.stringify({ type: 'string' }))
      return null;
    fields.push({
      name,
      type,
      description: String(property.description ?? ''),
      required: required.has(name),
    });
  }
  return fields;
}

export function schemaFromFields(fields: SchemaField[]): JsonSchema | null {
  if (fields.length === 0) return null;
  const properties: Record<string, unknown> = {};
  for (const field of fields) {
    properties[field.name] = {
      type: field.type,
      ...(field.type === 'array' ? { items: { type: 'string' } } : {}),
      ...(field.description ? { description: field.description } : {}),
    };
  }
  const required = fields.filter((field) => field.required).map((field) => field.name);
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}
