import type { JsonSchema } from '../api/api-types.ts';

/** One problem with a value, at a JSON pointer (`/findings/0/confidence`). */
export interface SchemaProblem {
  pointer: string;
  message: string;
}

/**
 * Checks a value against the common core of JSON Schema (type, properties, required,
 * additionalProperties, items, enum, const, bounds, anyOf/oneOf) while a person edits it.
 * The console's CSP forbids eval, so Ajv's compiled validators cannot run here; the server
 * checks the full schema on submit (400 `output_invalid`) — this only catches mistakes early.
 */
export function checkJsonSchema(schema: JsonSchema | null, value: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (schema) visit(schema, value, '', problems, 0);
  return problems;
}

const maxDepth = 64;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  return expected === actual || (expected === 'number' && actual === 'integer');
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function visit(
  schema: JsonSchema,
  value: unknown,
  pointer: string,
  problems: SchemaProblem[],
  depth: number,
) {
  if (depth > maxDepth) return;
  const at = pointer || '/';
  const types =
    typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : [];
  if (types.length > 0 && !types.some((type) => matchesType(String(type), value))) {
    problems.push({ pointer: at, message: `should be ${types.join(' or ')}, is ${typeOf(value)}` });
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => sameJson(option, value))) {
    problems.push({
      pointer: at,
      message: `should be one of ${schema.enum.map((option) => JSON.stringify(option)).join(', ')}`,
    });
  }
  if ('const' in schema && !sameJson(schema.const, value)) {
    problems.push({ pointer: at, message: `should be ${JSON.stringify(schema.const)}` });
  }
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const options = schema[keyword];
    if (!Array.isArray(options)) continue;
    const passing = options.filter((option) => {
      const found: SchemaProblem[] = [];
      visit(option as JsonSchema, value, pointer, found, depth + 1);
      return found.length === 0;
    }).length;
    if (keyword === 'anyOf' ? passing === 0 : passing !== 1) {
      problems.push({
        pointer: at,
        message: `should match ${keyword === 'anyOf' ? 'one or more' : 'exactly one'} of its ${options.length} alternatives`,
      });
    }
  }
  if (typeof value === 'number') checkBounds(schema, value, at, problems);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      problems.push({ pointer: at, message: `should have at least ${schema.minLength} characters` });
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      problems.push({ pointer: at, message: `should have at most ${schema.maxLength} characters` });
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      problems.push({ pointer: at, message: `should have at least ${schema.minItems} items` });
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      problems.push({ pointer: at, message: `should have at most ${schema.maxItems} items` });
    if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) {
      value.forEach((item, index) => {
        visit(schema.items as JsonSchema, item, `${pointer}/${index}`, problems, depth + 1);
      });
    }
  }
  if (typeOf(value) === 'object')
    checkObject(schema, value as Record<string, unknown>, pointer, problems, depth);
}

function checkBounds(schema: JsonSchema, value: number, at: string, problems: SchemaProblem[]) {
  if (typeof schema.minimum === 'number' && value < schema.minimum)
    problems.push({ pointer: at, message: `should be at least ${schema.minimum}` });
  if (typeof schema.maximum === 'number' && value > schema.maximum)
    problems.push({ pointer: at, message: `should be at most ${schema.maximum}` });
  if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
    problems.push({ pointer: at, message: `should be more than ${schema.exclusiveMinimum}` });
  if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
    problems.push({ pointer: at, message: `should be less than ${schema.exclusiveMaximum}` });
}

function checkObject(
  schema: JsonSchema,
  value: Record<string, unknown>,
  pointer: string,
  problems: SchemaProblem[],
  depth: number,
) {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
    if (!Object.hasOwn(value, name))
      problems.push({ pointer: pointer || '/', message: `is missing the required property "${name}"` });
  }
  for (const [name, child] of Object.entries(value)) {
    const childPointer = `${pointer}/${escapePointer(name)}`;
    if (Object.hasOwn(properties, name)) {
      visit(properties[name] as JsonSchema, child, childPointer, problems, depth + 1);
    } else if (schema.additionalProperties === false) {
      problems.push({ pointer: childPointer, message: `"${name}" is not a property this schema allows` });
    } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      visit(schema.additionalProperties as JsonSchema, child, childPointer, problems, depth + 1);
    }
  }
}

/** JSON equality as JSON Schema means it: object key order does not matter. */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
