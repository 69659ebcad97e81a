import { FlightdeckError, invalidError } from '../errors.ts';

/**
 * Templates between workflow steps: literal text with `{{ run.input.x }}`, `{{ steps.id.output.x }}`
 * (or the short form `{{ id.output.x }}`) and `{{ secrets.NAME }}` lookups — no expressions, helpers or
 * code, so a template can never run anything or reach outside the run's own data.
 */

/** One lookup in a template, with the placeholder text as written (`source`, trimmed). */
export type WorkflowReference =
  | { scope: 'run'; path: string[]; source: string }
  | { scope: 'step'; stepId: string; path: string[]; source: string }
  | { scope: 'secret'; name: string; source: string };

/** A parsed template string. */
export interface ParsedWorkflowTemplate {
  parts: ReadonlyArray<string | WorkflowReference>;
  /** True when the whole string is exactly one placeholder (surrounding whitespace allowed): the value keeps its type. */
  whole: boolean;
  references: readonly WorkflowReference[];
}

/** What rendering looks values up in. */
export interface WorkflowRenderContext {
  runInput: unknown;
  /** By step id; own properties only. */
  stepOutputs: Readonly<Record<string, unknown>>;
  /** Absent: a secret reference throws `secret_not_found`. */
  secrets?: Readonly<Record<string, string>>;
}

/** Deeper JSON than this is refused: recursion stays bounded whatever a client sends. */
export const maxWorkflowValueDepth = 64;

/** The longest text one template string may render to (characters). */
export const maxRenderedTextCharacters = 4_000_000;

const placeholderPattern = /\{\{([^{}]*)\}\}/g;
/** A name, then `.name` or `[index]` segments; names are letters, digits, `_` and `-`. */
const lookupPattern = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*$/;
const segmentPattern = /([A-Za-z_][\w-]*)|\[(\d+)\]/g;
/** Names that reach an object's prototype instead of its data. */
const forbiddenSegments = new Set(['__proto__', 'constructor', 'prototype']);
const indexPattern = /^\d+$/;

/** Parses one string. `stepIds` decides the short form. Throws 400 `template_invalid` naming the bad placeholder. */
export function parseWorkflowTemplate(text: string, stepIds: ReadonlySet<string>): ParsedWorkflowTemplate {
  const matches = [...text.matchAll(placeholderPattern)];
  const literals: string[] = [];
  let last = 0;
  for (const match of matches) {
    literals.push(text.slice(last, match.index));
    last = match.index + match[0].length;
  }
  literals.push(text.slice(last));
  // Literal text is checked first, so `{{ a {{ b }} }}` is reported as nested, not as a bad lookup.
  for (const literal of literals) {
    const start = literal.indexOf('{{');
    if (start < 0) continue;
    const near = literal.slice(start, start + 40);
    throw invalidError(
      'template_invalid',
      `The template has an unclosed or nested "{{" near "${near}". Close each placeholder with "}}"; placeholders cannot contain braces.`,
      { near },
    );
  }
  const parts: Array<string | WorkflowReference> = [];
  const references: WorkflowReference[] = [];
  for (const [index, match] of matches.entries()) {
    const reference = parseReference(match[0], (match[1] ?? '').trim(), stepIds);
    if (literals[index]) parts.push(literals[index]);
    parts.push(reference);
    references.push(reference);
  }
  const tail = literals[matches.length];
  if (tail) parts.push(tail);
  const whole =
    references.length === 1 && parts.every((part) => typeof part !== 'string' || part.trim() === '');
  return { parts, whole, references };
}

function parseReference(
  placeholder: string,
  source: string,
  stepIds: ReadonlySet<string>,
): WorkflowReference {
  const fail = (why: string) =>
    invalidError('template_invalid', `The template placeholder "${placeholder}" ${why}`, { placeholder });
  if (!lookupPattern.test(source)) {
    throw fail(
      'is not a lookup. Use {{ run.input.field }}, {{ steps.<id>.output.field }} or {{ secrets.NAME }}; expressions and code are not supported.',
    );
  }
  const segments: Array<{ name: string; index: boolean }> = [];
  for (const segment of source.matchAll(segmentPattern)) {
    const name = segment[1];
    if (name !== undefined && forbiddenSegments.has(name))
      throw fail(`uses "${name}", which is not allowed.`);
    // Indexes are kept as canonical digit strings, so `[01]` and `[1]` are the same lookup.
    segments.push(
      name === undefined ? { name: String(Number(segment[2])), index: true } : { name, index: false },
    );
  }
  const [root, second, third] = segments;
  const named = (segment: { name: string; index: boolean } | undefined, name?: string) =>
    segment !== undefined && !segment.index && (name === undefined || segment.name === name);
  const pathFrom = (start: number) => segments.slice(start).map((segment) => segment.name);
  const rootName = root?.name ?? '';
  if (rootName === 'run') {
    if (!named(second, 'input')) throw fail('must read the run input: write {{ run.input.field }}.');
    return { scope: 'run', path: pathFrom(2), source };
  }
  if (rootName === 'steps') {
    if (!named(second) || !named(third, 'output')) {
      throw fail('must read a step output: write {{ steps.<id>.output.field }}.');
    }
    return { scope: 'step', stepId: second?.name ?? '', path: pathFrom(3), source };
  }
  if (rootName === 'secrets') {
    if (!named(second) || segments.length !== 2)
      throw fail('must name one secret: write {{ secrets.NAME }}.');
    return { scope: 'secret', name: second?.name ?? '', source };
  }
  if (stepIds.has(rootName)) {
    if (!named(second, 'output'))
      throw fail(`must read the step output: write {{ ${rootName}.output.field }}.`);
    return { scope: 'step', stepId: rootName, path: pathFrom(2), source };
  }
  const hint = rootName === 'input' ? ' For the run input write {{ run.input.… }}.' : '';
  throw fail(
    `starts with "${rootName}", which is no step of this workflow.${hint} Write {{ steps.<id>.output.… }} (or {{ <id>.output.… }}) for a step output, {{ run.input.… }} for the run input, or {{ secrets.NAME }}.`,
  );
}

/** `steps.scan.output.summary.total` / `run.input.repo` / `secrets.NAME` as users write it. */
export function formatReference(reference: WorkflowReference): string {
  if (reference.scope === 'secret') return `secrets.${reference.name}`;
  const head = reference.scope === 'run' ? 'run.input' : `steps.${reference.stepId}.output`;
  return (
    head +
    reference.path.map((segment) => (indexPattern.test(segment) ? `[${segment}]` : `.${segment}`)).join('')
  );
}

/** A JSON pointer segment (`~` and `/` escaped). */
export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Calls `visit` for every string in a JSON value with its JSON pointer (`prefix` + the path inside
 * `value`). Throws 400 `template_too_deep` (details `{ pointer }`) past 64 levels of nesting.
 */
export function visitStrings(
  value: unknown,
  visit: (text: string, pointer: string) => void,
  prefix = '',
  depth = 0,
): void {
  if (typeof value === 'string') {
    visit(value, prefix);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth >= maxWorkflowValueDepth) throw tooDeep(prefix);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) visitStrings(item, visit, `${prefix}/${index}`, depth + 1);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    visitStrings(item, visit, `${prefix}/${escapePointerSegment(key)}`, depth + 1);
  }
}

/** Every reference in a JSON value, with the JSON pointer of the string it sits in (relative to `value`). */
export function collectReferences(
  value: unknown,
  stepIds: ReadonlySet<string>,
): Array<{ pointer: string; reference: WorkflowReference; whole: boolean }> {
  const found: Array<{ pointer: string; reference: WorkflowReference; whole: boolean }> = [];
  visitStrings(value, (text, pointer) => {
    if (!text.includes('{{')) return;
    const parsed = parseWorkflowTemplate(text, stepIds);
    for (const reference of parsed.references) found.push({ pointer, reference, whole: parsed.whole });
  });
  return found;
}

/**
 * Renders a JSON value: a whole-value template keeps the referenced value's type; a template inside
 * text renders strings as-is and other values as JSON. Keys keep their order; other leaves are copied.
 * Throws 400 `template_variable_missing` (`{ path }`) or `secret_not_found` (`{ name }`) when a lookup finds nothing.
 */
export function renderWorkflowValue(
  value: unknown,
  stepIds: ReadonlySet<string>,
  context: WorkflowRenderContext,
): unknown {
  return renderNode(value, stepIds, context, 0);
}

function renderNode(
  value: unknown,
  stepIds: ReadonlySet<string>,
  context: WorkflowRenderContext,
  depth: number,
): unknown {
  if (typeof value === 'string') return renderString(value, stepIds, context);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= maxWorkflowValueDepth) throw tooDeep();
  if (Array.isArray(value)) return value.map((item) => renderNode(item, stepIds, context, depth + 1));
  const rendered: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty, not assignment: an own `__proto__` key (JSON.parse makes those) stays data.
    Object.defineProperty(rendered, key, {
      value: renderNode(item, stepIds, context, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return rendered;
}

function renderString(text: string, stepIds: ReadonlySet<string>, context: WorkflowRenderContext): unknown {
  if (!text.includes('{{')) return text;
  const template = parseWorkflowTemplate(text, stepIds);
  const [first] = template.references;
  if (template.whole && first !== undefined) return resolveReference(first, context);
  let length = 0;
  const pieces = template.parts.map((part) => {
    const piece =
      typeof part === 'string'
        ? part
        : ((resolved: unknown) => (typeof resolved === 'string' ? resolved : JSON.stringify(resolved)))(
            resolveReference(part, context),
          );
    length += piece.length;
    // Many references to a large output in one string must not build a string that stops the node.
    if (length > maxRenderedTextCharacters) {
      throw new FlightdeckError({
        code: 'template_too_large',
        kind: 'too_large',
        message: `A template renders to more than ${maxRenderedTextCharacters.toLocaleString('en')} characters. Reference large outputs as whole values ("{{ steps.x.output }}") instead of inside text.`,
        details: { maxCharacters: maxRenderedTextCharacters },
      });
    }
    return piece;
  });
  return pieces.join('');
}

/** The value a reference points at; throws when there is none. */
export function resolveReference(reference: WorkflowReference, context: WorkflowRenderContext): unknown {
  if (reference.scope === 'secret') {
    const secrets = context.secrets;
    if (secrets === undefined || !Object.hasOwn(secrets, reference.name)) {
      throw invalidError(
        'secret_not_found',
        `No secret named "${reference.name}" is available to this run; add it to the workspace secrets.`,
        { name: reference.name },
      );
    }
    return secrets[reference.name];
  }
  const start =
    reference.scope === 'run'
      ? context.runInput
      : Object.hasOwn(context.stepOutputs, reference.stepId)
        ? context.stepOutputs[reference.stepId]
        : undefined;
  const value = start === undefined ? undefined : lookup(start, reference.path);
  if (value === undefined) {
    const path = formatReference(reference);
    throw invalidError('template_variable_missing', `There is no value at ${path}, which a template uses.`, {
      path,
    });
  }
  return value;
}

function lookup(start: unknown, path: readonly string[]): unknown {
  let current = start;
  for (const segment of path) {
    // Own properties only, for arrays too: `toString`, `length` or a hole never resolve.
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    if (Array.isArray(current) && !indexPattern.test(segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function tooDeep(pointer?: string) {
  return invalidError(
    'template_too_deep',
    `The value nests deeper than ${maxWorkflowValueDepth} levels${pointer ? ` at ${pointer}` : ''}; flatten it.`,
    { pointer: pointer ?? null },
  );
}
