import { ApiError } from './api-error.ts';

/** One problem of a `validation_failed` answer, as the server's error handler writes it. */
interface ValidationProblem {
  location?: string;
  path?: string;
  message?: string;
}

/** What a form shows for an API error: a sentence under each field it concerns, the rest above the form. */
export interface FieldErrors {
  /** Field name (the request body's top-level key) → a sentence such as "Email must be an email address." */
  fields: Record<string, string>;
  /** Problems no field of the form shows, already worded as sentences. */
  rest: string[];
}

/** `workspaceName` → "Workspace name"; `rateLimitPerMinute` → "Rate limit per minute". */
export function labelOfField(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/**
 * Maps an API error's `details` to the form's fields. Validation answers carry JSON pointers
 * (`/email`, `/settings/priceOverrides/0/model`): the first segment names the field. Domain errors
 * that concern one field say so with `details.field` (`providerKeyId`); their message is the sentence.
 * `labels` words a field as the form labels it; otherwise the name is spelled out.
 */
export function fieldErrorsOf(
  error: unknown,
  fieldNames: readonly string[],
  labels: Record<string, string> = {},
  /** Where the form's object sits in the body, e.g. `/settings/priceOverrides/2` for one list entry. */
  pointerPrefix = '',
): FieldErrors {
  const result: FieldErrors = { fields: {}, rest: [] };
  if (!ApiError.isInstance(error)) return result;
  const known = new Set(fieldNames);
  const labelOf = (name: string) => labels[name] ?? labelOfField(name);
  if (error.code === 'validation_failed' && Array.isArray(error.details)) {
    for (const problem of error.details as ValidationProblem[]) {
      const path = problem.path ?? '';
      const inForm = pointerPrefix === '' || path === pointerPrefix || path.startsWith(`${pointerPrefix}/`);
      const segments = (inForm ? path.slice(pointerPrefix.length) : path).split('/').filter(Boolean);
      const field = segments[0];
      const message = problem.message ?? 'is invalid';
      if (inForm && field && known.has(field)) {
        // The first problem of a field is the one to fix first; later ones would only repeat it.
        result.fields[field] ??= sentence(`${labelOf(field)} ${message}`);
      } else {
        const where = segments.length > 0 ? segments.map(labelOfField).join(' › ') : 'The request';
        result.rest.push(sentence(`${where} ${message}`));
      }
    }
    return result;
  }
  const field = (error.details as { field?: unknown } | null)?.field;
  if (typeof field === 'string') {
    const top = field.split(/[./[]/)[0] ?? field;
    if (known.has(top)) result.fields[top] = sentence(error.message);
  }
  return result;
}
