/**
 * Where a template path lands in a JSON Schema, judged at save time. Deliberately an approximation:
 * `$ref` inside the same schema, `properties`, `patternProperties`, `additionalProperties`, `items`,
 * `prefixItems` and the `allOf`/`anyOf`/`oneOf` branches (a path is known if any branch has it);
 * everything else is treated as open, so an odd schema never blocks a save.
 */

type Schema = Record<string, unknown>;

/** The result of following a path through a schema. */
export type SchemaPathResult =
  | { known: true; schemas: Schema[] }
  /** `path[depth]` is not there; `parents` are the schemas `path[0..depth)` led to. */
  | { known: false; depth: number; parents: Schema[] };

/** Keywords that say what shape a value has, as opposed to only constraining it. */
const shapeKeywords = [
  'type',
  'properties',
  'patternProperties',
  'additionalProperties',
  'items',
  'prefixItems',
];
const branchKeywords = ['allOf', 'anyOf', 'oneOf'];
const openSchema: Schema = Object.freeze({}) as Schema;
const indexPattern = /^\d+$/;

/** Follows `path` (property names and digit-string indexes) from `root`. */
export function resolveSchemaPath(root: Schema, path: readonly string[]): SchemaPathResult {
  let candidates = expand([root], root);
  for (const [depth, segment] of path.entries()) {
    const next = expand(
      candidates.flatMap((schema) => childrenOf(schema, segment)),
      root,
    );
    if (next.length === 0) return { known: false, depth, parents: candidates };
    candidates = next;
  }
  return { known: true, schemas: candidates };
}

/** The JSON types the schemas allow together; undefined when any of them allows every type. */
export function schemaTypes(schemas: readonly Schema[]): ReadonlySet<string> | undefined {
  const types = new Set<string>();
  for (const schema of schemas) {
    const own = typesOf(schema);
    if (own === undefined) return undefined;
    for (const type of own) types.add(type);
  }
  return types;
}

/** The root schemas (after `$ref` and `allOf`), which decide which input fields are required or allowed. */
export function rootSchemas(root: Schema): Schema[] {
  const found: Schema[] = [];
  const visit = (node: unknown, depth: number) => {
    if (!isSchema(node) || depth > 16 || found.includes(node)) return;
    found.push(node);
    if (typeof node.$ref === 'string') visit(resolveReference(node.$ref, root), depth + 1);
    if (Array.isArray(node.allOf)) for (const branch of node.allOf) visit(branch, depth + 1);
  };
  visit(root, 0);
  return found;
}

/** `type` as a set; undefined when the schema does not say. */
export function typesOf(schema: Schema): ReadonlySet<string> | undefined {
  const type = schema.type;
  if (typeof type === 'string') return new Set([type]);
  if (Array.isArray(type)) return new Set(type.filter((item): item is string => typeof item === 'string'));
  return undefined;
}

function childrenOf(schema: Schema, segment: string): unknown[] {
  const types = typesOf(schema);
  if (types !== undefined && !types.has('object') && !types.has('array')) return [];
  const properties = isSchema(schema.properties) ? schema.properties : undefined;
  if (properties !== undefined && Object.hasOwn(properties, segment)) return [properties[segment]];
  const children: unknown[] = [];
  if (indexPattern.test(segment) && (types === undefined || types.has('array'))) {
    // Draft 2019 tuples (`items: [...]`) read like 2020-12 `prefixItems`.
    const prefix = Array.isArray(schema.prefixItems)
      ? schema.prefixItems
      : Array.isArray(schema.items)
        ? schema.items
        : undefined;
    const rest = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
    const index = Number(segment);
    if (prefix !== undefined && index < prefix.length) children.push(prefix[index]);
    else if (rest !== undefined) children.push(rest);
    else if (prefix !== undefined || types !== undefined) children.push(openSchema);
  }
  if (types === undefined || types.has('object')) {
    const patterns = isSchema(schema.patternProperties) ? schema.patternProperties : undefined;
    for (const [pattern, child] of Object.entries(patterns ?? {}))
      if (matches(pattern, segment)) children.push(child);
    const additional = schema.additionalProperties;
    if (children.length > 0) return children;
    if (additional === true || isSchema(additional)) children.push(additional);
    // Declared properties without `additionalProperties` count as closed: a typo must not pass as "maybe".
    else if (additional === undefined && properties === undefined && patterns === undefined) {
      children.push(openSchema);
    }
  }
  return children;
}

/**
 * The shape-bearing schemas a node stands for: itself when it says something about shape, plus its
 * `$ref` target and branches. A node that says nothing about shape is open (`{}`), unless something
 * beside it does, which then decides.
 */
function expand(nodes: readonly unknown[], root: Schema): Schema[] {
  const results = new Map<Schema, Schema[]>();
  const visit = (node: unknown): Schema[] => {
    if (node === true) return [openSchema];
    if (!isSchema(node)) return [];
    const known = results.get(node);
    if (known !== undefined) return known;
    // Entered but unfinished: a `$ref` loop with no shape in between adds nothing.
    results.set(node, []);
    const found: Schema[] = [];
    let open = false;
    const take = (schemas: Schema[]) => {
      for (const schema of schemas) {
        if (schema === openSchema) open = true;
        else if (!found.includes(schema)) found.push(schema);
      }
    };
    if (shapeKeywords.some((keyword) => Object.hasOwn(node, keyword))) found.push(node);
    let linked = false;
    if (typeof node.$ref === 'string') {
      linked = true;
      const target = resolveReference(node.$ref, root);
      // A `$ref` outside this schema cannot be judged here: open.
      take(target === undefined ? [openSchema] : visit(target));
    }
    for (const keyword of branchKeywords) {
      const branches = node[keyword];
      if (!Array.isArray(branches)) continue;
      linked = true;
      for (const branch of branches) take(visit(branch));
    }
    const result = found.length > 0 ? found : open || !linked ? [openSchema] : [];
    results.set(node, result);
    return result;
  };
  const all: Schema[] = [];
  let open = false;
  for (const node of nodes) {
    for (const schema of visit(node)) {
      if (schema === openSchema) open = true;
      else if (!all.includes(schema)) all.push(schema);
    }
  }
  return open ? [...all, openSchema] : all;
}

function resolveReference(reference: string, root: Schema): unknown {
  if (reference === '#') return root;
  if (!reference.startsWith('#/')) return undefined;
  let current: unknown = root;
  for (const raw of reference.slice(2).split('/')) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function matches(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(text);
  } catch {
    // An invalid pattern matches nothing; schema validation reports it elsewhere.
    return false;
  }
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
