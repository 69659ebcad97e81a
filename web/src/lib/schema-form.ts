import type { JsonSchema } from '../api/api-types.ts';

/** The one JSON type a property's form control edits (a `["string", "null"]` union counts as string). */
export type FormType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';

const formTypes = new Set<string>(['string', 'number', 'integer', 'boolean', 'array', 'object']);
/** Keywords the form reads or may safely ignore (they only narrow what the server accepts). */
const understood = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'default',
  'description',
  'title',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'format',
  'pattern',
  'examples',
  '$schema',
  'uniqueItems',
]);

export function formTypeOf(schema: JsonSchema): FormType | null {
  const declared = Array.isArray(schema.type) ? schema.type.filter((type) => type !== 'null') : [schema.type];
  if (declared.length !== 1) {
    if (schema.type === undefined && Array.isArray(schema.enum)) return 'string';
    return schema.type === undefined && schema.properties ? 'object' : null;
  }
  const type = String(declared[0]);
  return formTypes.has(type) ? (type as FormType) : null;
}

/**
 * Whether a generated form can edit every value the schema allows: objects, arrays, enums,
 * numbers, booleans and strings, nested; `$ref`, `oneOf` and the like go to the JSON tab instead.
 */
export function formSupports(schema: JsonSchema, depth = 0): boolean {
  if (depth > 8) return false;
  if (Object.keys(schema).some((key) => !understood.has(key))) return false;
  const type = formTypeOf(schema);
  if (type === null) return false;
  if (type === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    return Object.values(properties).every((child) => isSchema(child) && formSupports(child, depth + 1));
  }
  if (type === 'array') {
    const items = schema.items;
    return items === undefined || (isSchema(items) && formSupports(items, depth + 1));
  }
  return true;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A starting value: the schema's defaults, nested; objects with no defaults start empty. */
export function defaultsOf(schema: JsonSchema | null): unknown {
  if (!schema) return {};
  if (schema.default !== undefined) return structuredClone(schema.default);
  if (formTypeOf(schema) !== 'object') return undefined;
  const value: Record<string, unknown> = {};
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    const childDefault = isSchema(child) ? defaultsOf(child) : undefined;
    const isEmptyObject =
      typeof childDefault === 'object' && childDefault !== null && Object.keys(childDefault).length === 0;
    if (childDefault !== undefined && !isEmptyObject) value[name] = childDefault;
  }
  return value;
}

/** A value with blank strings dropped, so a field left blank is not sent (the schema decides if it may be). */
export function withoutBlanks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutBlanks);
  if (typeof value !== 'object' || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    const cleaned = withoutBlanks(child);
    if (cleaned === undefined || cleaned === '') continue;
    result[name] = cleaned;
  }
  return result;
}
