import { invalidError } from '../../core/errors.ts';
import {
  formatPath,
  lookupTemplateValue,
  type ParsedTemplate,
  parseTemplate,
  type TemplatePart,
} from '../../core/template.ts';

/** One argument lookup of a tool template; a missing one is an error the model can fix. */
function valueAt(args: unknown, part: Exclude<TemplatePart, string>): unknown {
  const value = lookupTemplateValue(args, part.path);
  if (value === undefined) {
    const path = formatPath(part.path);
    throw invalidError(
      'tool_argument_missing',
      `The arguments have no value at ${path}, which the tool's request template uses.`,
      { path },
    );
  }
  return value;
}

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** Renders a URL template; every inserted value is percent-encoded, so an argument cannot change the host or add a path. */
export function renderUrlTemplate(template: ParsedTemplate, args: unknown): string {
  return template.parts
    .map((part) => (typeof part === 'string' ? part : encodeURIComponent(asText(valueAt(args, part)))))
    .join('');
}

/**
 * Renders a body template: every string leaf is a template over the arguments; a leaf that is one
 * placeholder and nothing else keeps the value's type (`"{{ input.count }}"` stays a number).
 */
export function renderBodyTemplate(body: unknown, args: unknown): unknown {
  if (typeof body === 'string') {
    const template = parseTemplate(body);
    const [only] = template.parts;
    if (template.parts.length === 1 && only !== undefined && typeof only !== 'string')
      return valueAt(args, only);
    return template.parts
      .map((part) => (typeof part === 'string' ? part : asText(valueAt(args, part))))
      .join('');
  }
  if (Array.isArray(body)) return body.map((item) => renderBodyTemplate(item, args));
  if (body !== null && typeof body === 'object') {
    const rendered: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      // defineProperty: a `__proto__` key in a template stays data, as JSON.parse made it.
      Object.defineProperty(rendered, key, {
        value: renderBodyTemplate(value, args),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return rendered;
  }
  return body;
}

/** Checks every string leaf of a body template parses (at agent save time). */
export function parseBodyTemplate(body: unknown): void {
  if (typeof body === 'string') parseTemplate(body);
  else if (Array.isArray(body)) for (const item of body) parseBodyTemplate(item);
  else if (body !== null && typeof body === 'object')
    for (const value of Object.values(body)) parseBodyTemplate(value);
}

const secretPlaceholder = /\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const anyPlaceholder = /\{\{[^{}]*\}\}/g;

/** The secret names a header value uses; throws 400 naming the header for any other placeholder. */
export function headerSecretNames(name: string, value: string, field: string): string[] {
  const names = [...value.matchAll(secretPlaceholder)].map((match) => match[1] ?? '');
  const others = (value.match(anyPlaceholder) ?? []).filter(
    (placeholder) => !/^\{\{\s*secrets\./.test(placeholder),
  );
  if (others.length > 0) {
    throw invalidError(
      'tool_header_invalid',
      `${field}: the header "${name}" uses ${others.join(', ')}; headers may only name workspace secrets, {{ secrets.NAME }} (arguments go in the URL or body).`,
      { field },
    );
  }
  return names;
}

/** A header value with its secrets filled in. */
export function renderHeader(value: string, secrets: Readonly<Record<string, string>>): string {
  return value.replace(secretPlaceholder, (_match, name: string) => secrets[name] ?? '');
}
