import type { JsonSchema } from './language-model-provider.ts';

const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

/**
 * Builds a JSON value valid against a JSON Schema, deterministically from `random`. Shared by the
 * mock provider and the fake provider server so both answer structured requests the same way.
 * Covers the keywords agents use (types, properties, required, items, enum, const, bounds,
 * formats, anyOf/oneOf/allOf, local $ref); unknown keywords are ignored.
 */
export function sampleFromSchema(schema: JsonSchema, random: () => number): unknown {
  return sample(schema, schema, random, 0);
}

function sample(rawSchema: JsonSchema, root: JsonSchema, random: () => number, depth: number): unknown {
  if (depth > 12) return null;
  const schema = withDescribedConstraints(rawSchema);
  if (typeof schema.$ref === 'string') return sample(resolveRef(schema.$ref, root), root, random, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return pick(schema.enum, random);
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    // The first alternative keeps oneOf valid: a value that matches one branch rarely matches others.
    return sample(alternatives[0] as JsonSchema, root, random, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    const merged: JsonSchema = { ...schema, allOf: undefined };
    for (const part of schema.allOf as JsonSchema[]) mergeInto(merged, part);
    return sample(merged, root, random, depth + 1);
  }
  const type = Array.isArray(schema.type)
    ? (schema.type.find((entry) => entry !== 'null') ?? 'null')
    : schema.type;
  switch (type ?? inferType(schema)) {
    case 'object':
      return sampleObject(schema, root, random, depth);
    case 'array':
      return sampleArray(schema, root, random, depth);
    case 'string':
      return sampleString(schema, random);
    case 'integer':
      return sampleNumber(schema, random, true);
    case 'number':
      return sampleNumber(schema, random, false);
    case 'boolean':
      return random() < 0.5;
    case 'null':
      return null;
    default:
      return null;
  }
}

function inferType(schema: JsonSchema): string {
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return 'null';
}

function sampleObject(schema: JsonSchema, root: JsonSchema, random: () => number, depth: number): unknown {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const result: Record<string, unknown> = {};
  for (const [name, propertySchema] of Object.entries(properties)) {
    result[name] = sample(propertySchema, root, random, depth + 1);
  }
  // Required names without a property schema still need a value.
  for (const name of (schema.required ?? []) as string[]) {
    if (!(name in result)) result[name] = pick(words, random);
  }
  return result;
}

function sampleArray(schema: JsonSchema, root: JsonSchema, random: () => number, depth: number): unknown {
  const minimum = typeof schema.minItems === 'number' ? schema.minItems : 1;
  const maximum = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(minimum, 3);
  const count = minimum + Math.floor(random() * (Math.min(maximum, minimum + 3) - minimum + 1));
  const prefix = (schema.prefixItems ?? []) as JsonSchema[];
  const items = (typeof schema.items === 'object' && schema.items !== null ? schema.items : {}) as JsonSchema;
  const values: unknown[] = [];
  for (let index = 0; index < Math.max(count, prefix.length); index++) {
    values.push(sample(prefix[index] ?? items, root, random, depth + 1));
  }
  if (schema.uniqueItems === true)
    return [...new Map(values.map((value) => [JSON.stringify(value), value])).values()];
  return values;
}

function sampleString(schema: JsonSchema, random: () => number): string {
  switch (schema.format) {
    case 'date-time':
      return new Date(Date.UTC(2026, 0, 1 + Math.floor(random() * 300))).toISOString();
    case 'date':
      return new Date(Date.UTC(2026, 0, 1 + Math.floor(random() * 300))).toISOString().slice(0, 10);
    case 'email':
      return `${pick(words, random)}@example.com`;
    case 'uri':
    case 'url':
      return `https://example.com/${pick(words, random)}`;
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000'.replace(/0/g, () => Math.floor(random() * 10).toString());
    default:
      break;
  }
  const minimum = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maximum = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  let text = `${pick(words, random)} ${pick(words, random)}`;
  while (text.length < minimum) text += ` ${pick(words, random)}`;
  return text.slice(0, Math.max(minimum, Math.min(maximum, text.length)));
}

function sampleNumber(schema: JsonSchema, random: () => number, integer: boolean): number {
  const exclusiveMinimum = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  const exclusiveMaximum = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined;
  const low = typeof schema.minimum === 'number' ? schema.minimum : (exclusiveMinimum ?? 0);
  const high = typeof schema.maximum === 'number' ? schema.maximum : (exclusiveMaximum ?? low + 100);
  if (integer) {
    const lowest =
      exclusiveMinimum !== undefined && low <= exclusiveMinimum
        ? Math.floor(exclusiveMinimum) + 1
        : Math.ceil(low);
    const highest =
      exclusiveMaximum !== undefined && high >= exclusiveMaximum
        ? Math.ceil(exclusiveMaximum) - 1
        : Math.floor(high);
    return lowest + Math.floor(random() * (Math.max(highest, lowest) - lowest + 1));
  }
  // Two decimals read like a model's answer; the bounds are re-checked after rounding.
  const rounded = Math.round((low + random() * (high - low)) * 100) / 100;
  const aboveLow = exclusiveMinimum !== undefined ? rounded > exclusiveMinimum : rounded >= low;
  const belowHigh = exclusiveMaximum !== undefined ? rounded < exclusiveMaximum : rounded <= high;
  return aboveLow && belowHigh ? rounded : (low + high) / 2;
}

function resolveRef(reference: string, root: JsonSchema): JsonSchema {
  if (!reference.startsWith('#')) return {};
  let current: unknown = root;
  for (const segment of reference.slice(1).split('/').filter(Boolean)) {
    current = (current as Record<string, unknown> | undefined)?.[
      decodeURIComponent(segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    ];
  }
  return (current ?? {}) as JsonSchema;
}

function mergeInto(target: JsonSchema, part: JsonSchema): void {
  for (const [key, value] of Object.entries(part)) {
    if (key === 'properties') target.properties = { ...(target.properties as object), ...(value as object) };
    else if (key === 'required')
      target.required = [...((target.required as string[]) ?? []), ...(value as string[])];
    else if (!(key in target) || target[key] === undefined) target[key] = value;
  }
}

function pick<T>(values: readonly T[], random: () => number): T {
  return values[Math.floor(random() * values.length)] as T;
}

const describedConstraint =
  /^(minimum|maximum|exclusive minimum|exclusive maximum|min length|max length|min items|max items): (-?[\d.]+)$/;

/**
 * Providers that cannot enforce a keyword move it into the description (@ai-sdk/anthropic writes
 * "minimum: 1; maximum: 5."); a real model reads it there, so the sampler does too.
 */
function withDescribedConstraints(schema: JsonSchema): JsonSchema {
  if (typeof schema.description !== 'string') return schema;
  let result = schema;
  for (const part of schema.description.split(/[;\n]/)) {
    const match = describedConstraint.exec(part.trim().replace(/\.$/, ''));
    if (!match?.[1] || match[2] === undefined) continue;
    const keyword = match[1].replace(/ (\w)/g, (_, letter: string) => letter.toUpperCase());
    if (result[keyword] === undefined) result = { ...result, [keyword]: Number(match[2]) };
  }
  return result;
}
