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

/** Shapes of credentials in free text: provider keys, bearer values, our own tokens, cloud keys. */
const secretLikePatterns: readonly RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{6,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bfd_[A-Za-z0-9_-]{8,}/g,
  /\bwhs_[A-Za-z0-9_-]{8,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\b(?:api[_-]?key|x-api-key|access[_-]?token|secret)(["']?\s*[:=]\s*["']?)[A-Za-z0-9._~+/-]{12,}/gi,
];

/**
 * Free text (a provider's error message, an upstream body) with the given secrets and anything
 * shaped like a credential replaced by `[redacted]`, before it is logged, stored or returned.
 */
export function scrubSecretText(text: string, secrets: readonly string[] = []): string {
  let scrubbed = text;
  for (const secret of secrets) {
    if (secret.length >= 4) scrubbed = scrubbed.split(secret).join(redactedPlaceholder);
  }
  for (const pattern of secretLikePatterns) {
    scrubbed = scrubbed.replace(pattern, (match, separator?: string) =>
      typeof separator === 'string' && /api|key|token|secret/i.test(match.slice(0, 20))
        ? `${match.slice(0, match.indexOf(separator) + separator.length)}${redactedPlaceholder}`
        : redactedPlaceholder,
    );
  }
  return scrubbed;
}
