import fc from 'fast-check';

/**
 * Hostile requests generated from the OpenAPI document: for each operation, requests that are
 * nearly right (so they reach the handler) with one or more fields replaced by what careless and
 * malicious clients send: wrong types, huge and deep values, NUL bytes, lone surrogates, extreme
 * numbers and dates; and whole bodies that are not JSON, or JSON under the wrong content type.
 */

/** The parts of an OpenAPI operation the generator reads. */
export interface OperationShape {
  method: string;
  /** OpenAPI path, `{name}` for parameters. */
  path: string;
  parameters: Array<{ in: 'path' | 'query' | 'header' | 'cookie'; name: string; schema?: JsonSchema }>;
  bodySchema: JsonSchema | undefined;
}

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  additionalProperties?: boolean | JsonSchema;
};

export interface HostileRequest {
  method: string;
  url: string;
  /** Either a value sent as JSON, or a raw body with its own content type. */
  body:
    | { kind: 'none' }
    | { kind: 'json'; value: unknown }
    | { kind: 'raw'; payload: string | Buffer; contentType: string | null };
  /** What the request tries, for the failure report. */
  label: string;
}

const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Single values that break code which trusts the declared type. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -1,
    -0,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    0.1 + 0.2,
    '',
    ' ',
    'a\u0000b',
    'renamed\ud800',
    '\udfff',
    '\u202e\u0000',
    'x'.repeat(100_000),
    '275760-09-13T00:00:00.001Z',
    '-271821-04-20T00:00:00.000Z',
    '0000-00-00',
    '2026-02-30T25:61:61Z',
    '9999-12-31T23:59:59.999Z',
    'NaN',
    '1e309',
    '{{ input }}'.repeat(2_000),
    '../../etc/passwd',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::7f00:1]/v1',
    '__proto__',
    [],
    {},
    JSON.parse('{"__proto__":{"polluted":true}}'),
    { constructor: { prototype: { polluted: true } } },
    Array.from({ length: 10_000 }, (_, index) => index),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.double(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.constant(JSON.parse(deepArray(200))),
);

/** A value that fits the schema's declared type (roughly), so the request gets past the first check. */
function plausible(schema: JsonSchema | undefined, depth: number): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.constant('plain');
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants && variants.length > 0)
    return fc.oneof(...variants.map((variant) => plausible(variant, depth + 1)));
  if (schema.allOf && schema.allOf.length > 0) return plausible(schema.allOf[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((entry) => entry !== 'null') : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'email') return fc.constantFrom('someone@example.test', 'FUZZ@Example.Test');
      if (schema.format === 'date-time')
        return fc.constantFrom('2026-11-22T10:00:00Z', '1970-01-01T00:00:00Z');
      if (schema.format === 'uri')
        return fc.constantFrom('http://127.0.0.1:9/hook', 'https://example.test/x');
      return fc.string({ minLength: 1, maxLength: 12 });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 100, 1_000_000) });
    case 'number':
      return fc.double({
        min: schema.minimum ?? 0,
        max: Math.min(schema.maximum ?? 100, 1_000_000),
        noNaN: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible(schema.items, depth + 1), { maxLength: 3 });
    case 'object':
      return objectFor(schema, depth + 1, false);
    default:
      return fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant({}));
  }
}

/** An object with the schema's fields, each plausible or (when `hostile`) possibly replaced. */
function objectFor(schema: JsonSchema, depth: number, hostile: boolean): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0)
    return fc.dictionary(fc.string({ maxLength: 6 }), hostile ? hostileValue : fc.string());
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of properties) {
    record[name] = hostile
      ? fc.oneof({ weight: 3, arbitrary: plausible(property, depth) }, { weight: 2, arbitrary: hostileValue })
      : plausible(property, depth);
  }
  return fc.record(record, { requiredKeys: schema.required?.filter((name) => name in record) ?? [] });
}

/** Bodies sent as they are, not as JSON of a value. */
const rawBodies: fc.Arbitrary<{ payload: string | Buffer; contentType: string | null; label: string }> =
  fc.constantFrom(
    { payload: '{"name": "unterminated', contentType: 'application/json', label: 'invalid JSON' },
    { payload: '', contentType: 'application/json', label: 'empty JSON body' },
    { payload: 'null', contentType: 'application/json', label: 'JSON null' },
    { payload: '[]', contentType: 'application/json', label: 'JSON array' },
    { payload: '"text"', contentType: 'application/json', label: 'JSON string' },
    { payload: '1e999', contentType: 'application/json', label: 'JSON number out of range' },
    { payload: deepArray(100_000), contentType: 'application/json', label: 'array nested 100,000 deep' },
    { payload: deepObject(20_000), contentType: 'application/json', label: 'object nested 20,000 deep' },
    { payload: '{"name":"a\\u0000b"}', contentType: 'application/json', label: 'NUL escape' },
    { payload: '{"name":"renamed\\ud800"}', contentType: 'application/json', label: 'lone surrogate escape' },
    { payload: '{"\\ud800":1}', contentType: 'application/json', label: 'lone surrogate key' },
    { payload: '{"__proto__":{"admin":true}}', contentType: 'application/json', label: '__proto__ key' },
    {
      payload: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      contentType: 'application/json',
      label: 'invalid UTF-8',
    },
    { payload: '{"a":1}', contentType: 'text/plain', label: 'JSON as text/plain' },
    { payload: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded', label: 'form body' },
    {
      payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
      contentType: 'multipart/form-data; boundary=x',
      label: 'multipart body',
    },
    { payload: '{"a":1}', contentType: 'application/json; charset=utf-16', label: 'JSON declared UTF-16' },
    { payload: '{"a":1}', contentType: 'application/json;;;', label: 'malformed content type' },
    { payload: '{"a":1}', contentType: null, label: 'body without content type' },
    { payload: `{"a":"${'x'.repeat(900_000)}"}`, contentType: 'application/json', label: '900 KB string' },
    {
      payload: `{"a":"${'x'.repeat(1_200_000)}"}`,
      contentType: 'application/json',
      label: 'body over the limit',
    },
  );

/** Path segments in place of an id. */
const hostileSegments = fc.constantFrom(
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%C0%AF',
  '%FF',
  'x'.repeat(5_000),
  '..%2F..%2Fetc',
  '%2F',
  '%20',
  '-1',
  '1e309',
  "'%20or%201=1--",
  '%E2%80%AE',
  'NaN',
);

/** Query values: wrong types, extreme numbers and dates, NUL and broken escapes. */
const hostileQueryValues = fc.constantFrom(
  '',
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%',
  '-1',
  '0',
  '1e309',
  '99999999999999999999',
  'NaN',
  'true',
  '275760-09-13T00:00:00.001Z',
  '-271821-04-20T00:00:00Z',
  '0000-00-00',
  '2026-02-30',
  'x'.repeat(5_000),
  '[object Object]',
);

/** Generates requests for one operation; `validSegments` fill path parameters with ids that exist. */
export function hostileRequestsFor(
  operation: OperationShape,
  validSegments: Record<string, string>,
): fc.Arbitrary<HostileRequest> {
  const pathNames = [...operation.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string);
  const segment = (name: string) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(encodeURIComponent(validSegments[name] ?? 'unknown-id')) },
      { weight: 1, arbitrary: hostileSegments },
    );
  const segments = fc.tuple(...pathNames.map(segment));
  const queryParameters = operation.parameters.filter((parameter) => parameter.in === 'query');
  const query = fc.array(
    fc.tuple(
      fc.oneof(
        ...(queryParameters.length > 0
          ? [fc.constantFrom(...queryParameters.map((parameter) => parameter.name))]
          : []),
        fc.constantFrom('unknown', '__proto__', 'limit'),
      ),
      fc.oneof(hostileQueryValues, fc.string({ maxLength: 10 }).map(encodeURIComponent)),
    ),
    { maxLength: 3 },
  );
  const body: fc.Arbitrary<{ body: HostileRequest['body']; label: string }> = operation.bodySchema
    ? fc.oneof(
        {
          weight: 5,
          arbitrary: objectFor(operation.bodySchema, 0, true).map((value) => ({
            body: { kind: 'json' as const, value },
            label: 'near-valid body with hostile fields',
          })),
        },
        {
          weight: 1,
          arbitrary: hostileValue.map((value) => ({
            body: { kind: 'json' as const, value },
            label: 'hostile body',
          })),
        },
        {
          weight: 2,
          arbitrary: rawBodies.map((raw) => ({
            body: { kind: 'raw' as const, payload: raw.payload, contentType: raw.contentType },
            label: raw.label,
          })),
        },
      )
    : fc.oneof(
        { weight: 4, arbitrary: fc.constant({ body: { kind: 'none' as const }, label: 'no body' }) },
        {
          weight: 1,
          arbitrary: rawBodies.map((raw) => ({
            body: { kind: 'raw' as const, payload: raw.payload, contentType: raw.contentType },
            label: `unexpected ${raw.label}`,
          })),
        },
      );
  return fc.tuple(segments, query, body).map(([values, pairs, chosen]) => {
    let index = 0;
    const path = operation.path.replace(/\{[^}]+\}/g, () => values[index++] ?? 'x');
    const search = pairs.map(([name, value]) => `${encodeURIComponent(name)}=${value}`).join('&');
    return {
      method: operation.method,
      url: search ? `${path}?${search}` : path,
      body: chosen.body,
      label: chosen.label,
    };
  });
}

/** Every operation of an OpenAPI 3.1 document, with its request body schema. */
export function operationsOf(document: {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: unknown[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }
    >
  >;
}): OperationShape[] {
  const operations: OperationShape[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: (operation.parameters ?? []) as OperationShape['parameters'],
        bodySchema: operation.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}
