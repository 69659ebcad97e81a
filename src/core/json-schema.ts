import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { RE2JS } from 're2js';
import { invalidError } from './errors.ts';

/** One problem with a value, located by a JSON Pointer into that value (`/items/0/name`). */
export interface SchemaProblem {
  pointer: string;
  message: string;
  keyword: string;
}

export interface JsonSchemaValidator {
  /** Problems with the value; empty when it is valid. */
  validate(value: unknown): SchemaProblem[];
}

// Formats checked without extra dependencies; other formats are annotations only, as the spec allows.
const formats: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  time: /^\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?$/,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uri: /^[A-Za-z][A-Za-z\d+.-]*:[^\s]*$/,
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
};

/**
 * `pattern` and `patternProperties` of user schemas run on RE2 (re2js), whose matching time is
 * linear in the input: `^(a+)+$` against `aaaa…a!` took 212 s on the built-in engine. A pattern RE2
 * cannot compile (lookarounds, backreferences) makes the schema invalid, with RE2's reason.
 */
const linearRegExp = Object.assign(
  (pattern: string) => {
    const compiled = RE2JS.compile(pattern);
    // Ajv keys compiled patterns by `toString()`: it must tell patterns apart.
    return { test: (text: string) => compiled.test(text), toString: () => `/${pattern}/re2` };
  },
  { code: 'linearRegExp' },
);

function createAjv(): Ajv2020 {
  // strict off: user schemas may carry vendor keywords (x-…), unknown formats, or descriptions we ignore.
  const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false, code: { regExp: linearRegExp } });
  for (const [name, pattern] of Object.entries(formats)) ajv.addFormat(name, pattern);
  return ajv;
}

const ajv = createAjv();

/**
 * Compiles a user's JSON Schema (draft 2020-12). Throws 400 `schema_invalid` naming the field when it
 * is not a valid schema (bad keyword values, unresolvable `$ref`, another draft's `$schema`).
 */
export function compileJsonSchema(schema: Record<string, unknown>, field: string): JsonSchemaValidator {
  let validate: ValidateFunction;
  try {
    if (!ajv.validateSchema(schema)) {
      throw invalidError(
        'schema_invalid',
        `${field} is not a valid JSON Schema (2020-12): ${ajv.errorsText(ajv.errors)}.`,
        {
          field,
          problems: toProblems(ajv.errors ?? []),
        },
      );
    }
    validate = ajv.compile(schema);
  } catch (error) {
    if ((error as { code?: string }).code === 'schema_invalid') throw error;
    throw invalidError(
      'schema_invalid',
      `${field} is not a valid JSON Schema (2020-12): ${(error as Error).message}.`,
      {
        field,
        problems: [],
      },
    );
  } finally {
    // Ajv caches every schema it compiled, keyed by object and $id: forget it so memory stays flat
    // and two agents may use the same $id.
    ajv.removeSchema(schema);
  }
  return {
    validate(value) {
      return validate(value) ? [] : toProblems(validate.errors ?? []);
    },
  };
}

function toProblems(errors: ErrorObject[]): SchemaProblem[] {
  return errors.map((error) => {
    const missing =
      error.keyword === 'required'
        ? (error.params as { missingProperty?: string }).missingProperty
        : undefined;
    const extra =
      error.keyword === 'additionalProperties'
        ? (error.params as { additionalProperty?: string }).additionalProperty
        : undefined;
    const child = missing ?? extra;
    const pointer =
      child === undefined
        ? error.instancePath
        : `${error.instancePath}/${child.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return {
      pointer: pointer || '/',
      message: extra === undefined ? (error.message ?? 'is invalid') : 'is not allowed by the schema',
      keyword: error.keyword,
    };
  });
}

/** `"/a: must be string; /b: is required"` for error messages. */
export function describeProblems(problems: readonly SchemaProblem[], limit = 5): string {
  const shown = problems.slice(0, limit).map((problem) => `${problem.pointer} ${problem.message}`);
  const more = problems.length > limit ? ` (and ${problems.length - limit} more)` : '';
  return `${shown.join('; ')}${more}`;
}
