/**
 * Secret-bearing field names: anything that says key, secret, token, password, authorization
 * or cookie. Ids and counts that merely contain those words (providerKeyId, inputTokens) are kept.
 */
const secretName = /(key|secret|token|password|passwd|authorization|cookie|credential)/i;
const harmlessName = /(id|ids|count|prefix|tokens|expires(at)?|at|kind|name|type)$/i;

export const redactedPlaceholder = '[redacted]';

/** True when a field with this name must never be written out. */
export function isSecretFieldName(name: string): boolean {
  return secretName.test(name) && !harmlessName.test(name);
}

/**
 * Returns a copy of `value` with every secret-named field replaced. Walks objects and arrays
 * (with a depth limit and cycle check) so secrets nested in request bodies or errors are caught.
 */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  // Class instances other than errors (a Fastify request, a socket) are left to the logger's own
  // serializers, which pick safe fields; walking their own properties would only lose them.
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null && !(value instanceof Error)) return value;
  const copy: Record<string, unknown> = {};
  if (value instanceof Error) {
    // Message and stack are not enumerable; keep them (they name no field, so nothing to redact by name).
    copy.type = value.name;
    copy.message = value.message;
    copy.stack = value.stack;
    if (value.cause !== undefined) copy.cause = redactSecrets(value.cause, depth + 1, seen);
  }
  for (const [name, field] of Object.entries(value)) {
    if (!isSecretFieldName(name) || field === null || field === undefined) {
      copy[name] = redactSecrets(field, depth + 1, seen);
    } else if (Array.isArray(field)) {
      copy[name] = field.map(() => redactedPlaceholder);
    } else if (typeof field === 'object') {
      // A secret-named object (say `credentials`) may hold harmless metadata; its leaves decide.
      copy[name] = redactSecrets(field, depth + 1, seen);
    } else {
      copy[name] = redactedPlaceholder;
    }
  }
  return copy;
}
