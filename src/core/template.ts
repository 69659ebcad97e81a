import { FlightdeckError, invalidError } from './errors.ts';

/**
 * The longest prompt a template may render (characters). Far above any model's context window, and
 * far below what freezes a node: 9,000 `{{ input }}` over a 100 KB input would otherwise build 900 MB.
 */
export const maxRenderedPromptCharacters = 4_000_000;

/**
 * Prompt templates: literal text with `{{ input.path.to.value }}` lookups and nothing else — no
 * expressions, helpers or code, so a template can never run anything or reach outside the input.
 */

export type TemplatePart = string | { path: readonly string[]; source: string };

export interface ParsedTemplate {
  readonly parts: readonly TemplatePart[];
  /** Every lookup path, in order of appearance (duplicates kept). */
  readonly paths: readonly (readonly string[])[];
}

const placeholderPattern = /\{\{([^{}]*)\}\}/g;
/**
 * `input`, then `.name` or `[index]` segments; names are letters, digits, `_` and `-`. Or
 * `context.<name>`: a context document the run hands the agent (see docs/approvals.md).
 */
const pathPattern = /^input((?:\.[A-Za-z_][\w-]*|\[\d+\])*)$/;
const contextPattern = /^context\.([A-Za-z_][\w-]*)$/;
const segmentPattern = /\.([A-Za-z_][\w-]*)|\[(\d+)\]/g;
/** Names that reach an object's prototype instead of its data. */
const forbiddenSegments = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses a template; throws 400 `template_invalid` naming the first bad placeholder. */
export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const paths: string[][] = [];
  let last = 0;
  for (const match of text.matchAll(placeholderPattern)) {
    const source = (match[1] ?? '').trim();
    const contextMatch = contextPattern.exec(source);
    if (contextMatch) {
      if (forbiddenSegments.has(contextMatch[1] ?? '')) {
        throw invalidError(
          'template_invalid',
          `The template placeholder "${match[0]}" uses a name that is not allowed.`,
          {
            placeholder: match[0],
          },
        );
      }
      const path = ['context', contextMatch[1] ?? ''];
      if (match.index > last) parts.push(text.slice(last, match.index));
      parts.push({ path, source });
      paths.push(path);
      last = match.index + match[0].length;
      continue;
    }
    const pathMatch = pathPattern.exec(source);
    if (!pathMatch) {
      throw invalidError(
        'template_invalid',
        `The template placeholder "{{${match[1]}}}" is not a lookup. Use {{ input.field }}, {{ input.list[0].field }} or {{ context.<document> }}; expressions and code are not supported.`,
        { placeholder: match[0] },
      );
    }
    const path = ['input'];
    for (const segment of (pathMatch[1] ?? '').matchAll(segmentPattern)) {
      const name = segment[1] ?? segment[2] ?? '';
      if (forbiddenSegments.has(name)) {
        throw invalidError(
          'template_invalid',
          `The template placeholder "${match[0]}" uses "${name}", which is not allowed.`,
          {
            placeholder: match[0],
          },
        );
      }
      path.push(name);
    }
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push({ path, source });
    paths.push(path);
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  const leftover = parts.find((part) => typeof part === 'string' && part.includes('{{'));
  if (typeof leftover === 'string') {
    throw invalidError(
      'template_invalid',
      'The template has an unclosed or nested "{{". Close each placeholder with "}}".',
      {
        near: leftover.slice(leftover.indexOf('{{'), leftover.indexOf('{{') + 40),
      },
    );
  }
  return { parts, paths };
}

/**
 * Renders a parsed template over `{ input }`. Strings are inserted as they are, other values as JSON.
 * Throws 400 `template_variable_missing` naming the path when a lookup finds nothing.
 */
export function renderTemplate(
  template: ParsedTemplate,
  input: unknown,
  maxCharacters = maxRenderedPromptCharacters,
  /** Context documents by name, for `{{ context.<name> }}`. */
  context: Readonly<Record<string, string>> = {},
): string {
  const pieces: string[] = [];
  let length = 0;
  // Each value is serialised once however often the template names it.
  const rendered = new Map<string, string>();
  const append = (piece: string) => {
    length += piece.length;
    if (length > maxCharacters) {
      throw new FlightdeckError({
        code: 'prompt_too_large',
        kind: 'too_large',
        message: `The rendered prompt would be longer than ${maxCharacters.toLocaleString('en')} characters. Send a smaller input, or use it fewer times in the template.`,
        details: { maxCharacters },
      });
    }
    pieces.push(piece);
  };
  for (const part of template.parts) {
    if (typeof part === 'string') {
      append(part);
      continue;
    }
    if (part.path[0] === 'context') {
      const name = part.path[1] ?? '';
      if (!Object.hasOwn(context, name)) {
        throw invalidError(
          'context_document_missing',
          `The prompt template uses {{ context.${name} }}, but the run hands the agent no context document named "${name}". Name it in the run's context list.`,
          { name },
        );
      }
      append(context[name] ?? '');
      continue;
    }
    const value = lookup(input, part.path);
    if (value === undefined) {
      const path = formatPath(part.path);
      throw invalidError(
        'template_variable_missing',
        `The input has no value at ${path}, which the prompt template uses.`,
        {
          path,
        },
      );
    }
    let text = rendered.get(part.source);
    if (text === undefined) {
      text = typeof value === 'string' ? value : JSON.stringify(value);
      rendered.set(part.source, text);
    }
    append(text);
  }
  return pieces.join('');
}

/** The value at a parsed placeholder's path (`input.a[0]` → `input.a[0]`), or undefined; tool templates keep its type. */
export function lookupTemplateValue(input: unknown, path: readonly string[]): unknown {
  return lookup(input, path);
}

function lookup(input: unknown, path: readonly string[]): unknown {
  let current: unknown = input;
  for (const segment of path.slice(1)) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/** `input.a[0].b`, as users write it. */
export function formatPath(path: readonly string[]): string {
  return path
    .map((segment, index) => (index === 0 ? segment : /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
    .join('');
}

/**
 * The template paths an input schema can never satisfy: a property a closed object
 * (`additionalProperties: false`) does not declare, or a lookup into a string or number.
 * Open schemas are not judged — the input may carry more than the schema names.
 */
export function findUnsatisfiablePaths(template: ParsedTemplate, schema: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const path of template.paths) {
    if (path[0] === 'context') continue;
    let current: unknown = schema;
    for (const segment of path.slice(1)) {
      const node = resolveNode(current, schema);
      if (!node) break;
      const type = node.type;
      const properties = node.properties as Record<string, unknown> | undefined;
      if (typeof type === 'string' && !['object', 'array'].includes(type)) {
        problems.push(formatPath(path));
        break;
      }
      if (properties && Object.hasOwn(properties, segment)) {
        current = properties[segment];
        continue;
      }
      if (/^\d+$/.test(segment) && typeof node.items === 'object' && node.items !== null) {
        current = node.items;
        continue;
      }
      if (type === 'object' && node.additionalProperties === false) problems.push(formatPath(path));
      break;
    }
  }
  return [...new Set(problems)];
}

function resolveNode(node: unknown, root: Record<string, unknown>): Record<string, unknown> | undefined {
  let current = node;
  for (let depth = 0; depth < 8; depth++) {
    if (typeof current !== 'object' || current === null) return undefined;
    const reference = (current as Record<string, unknown>).$ref;
    if (typeof reference !== 'string') return current as Record<string, unknown>;
    if (!reference.startsWith('#/')) return undefined;
    current = reference
      .slice(2)
      .split('/')
      .reduce<unknown>(
        (value, segment) =>
          typeof value === 'object' && value !== null
            ? (value as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')]
            : undefined,
        root,
      );
  }
  return undefined;
}
