import {
  APICallError,
  InvalidResponseDataError,
  JSONParseError,
  NoContentGeneratedError,
  NoObjectGeneratedError,
  NoOutputGeneratedError,
  RetryError,
  TypeValidationError,
} from 'ai';
import { scrubSecretText } from '../core/redact-secrets.ts';
import type { ProviderKind } from './language-model-provider.ts';
import { parseRetryAfter } from './parse-retry-after.ts';
import { ProviderError } from './provider-error.ts';

export interface ProviderErrorContext {
  provider: ProviderKind;
  model: string;
  /** The credentials of the call: scrubbed from any text the provider sent back. */
  secrets?: readonly string[];
}

const contentFilterPattern = /content[_ -]?(filter|policy|management)|safety|moderation/i;
const connectionErrorCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Translates whatever the AI SDK threw into a ProviderError with a stable code, or returns
 * undefined for errors that are not the provider's doing (programming errors), which the
 * caller rethrows unchanged.
 */
export function toProviderError(error: unknown, context: ProviderErrorContext): ProviderError | undefined {
  if (ProviderError.isProviderError(error)) return error;
  const base = { provider: context.provider, model: context.model, cause: error };
  if (RetryError.isInstance(error)) return toProviderError(error.lastError, context);
  if (APICallError.isInstance(error)) {
    const headers = error.responseHeaders;
    const requestId = headers?.['x-request-id'] ?? headers?.['request-id'];
    const common = { ...base, requestId, statusCode: error.statusCode };
    const detail = describe(error, context.secrets);
    if (error.statusCode === undefined) {
      if (hasConnectionCause(error) || error.isRetryable) {
        return new ProviderError({
          ...common,
          code: 'provider_unavailable',
          detail,
          reason: 'connection_error',
        });
      }
      return new ProviderError({ ...common, code: 'provider_invalid_response', detail });
    }
    const status = error.statusCode;
    const retryAfterMs = parseRetryAfter(headers);
    if (status >= 200 && status < 300) {
      // A 200 whose body broke off is a dropped connection (retryable), not a malformed answer.
      if (hasConnectionCause(error)) {
        return new ProviderError({
          ...common,
          code: 'provider_unavailable',
          detail,
          reason: 'stream_cut',
          isRetryable: true,
        });
      }
      return new ProviderError({ ...common, code: 'provider_invalid_response', detail });
    }
    if (status === 401 || status === 403)
      return new ProviderError({ ...common, code: 'provider_auth_failed', detail });
    if (status === 408)
      return new ProviderError({ ...common, code: 'provider_timeout', detail, retryAfterMs });
    if (status === 429)
      return new ProviderError({ ...common, code: 'provider_rate_limited', detail, retryAfterMs });
    if (status === 409 || status >= 500) {
      return new ProviderError({ ...common, code: 'provider_unavailable', detail, retryAfterMs });
    }
    if (contentFilterPattern.test(error.responseBody ?? '')) {
      return new ProviderError({ ...common, code: 'provider_content_filtered', detail });
    }
    return new ProviderError({ ...common, code: 'provider_bad_request', detail });
  }
  if (
    JSONParseError.isInstance(error) ||
    TypeValidationError.isInstance(error) ||
    InvalidResponseDataError.isInstance(error) ||
    NoObjectGeneratedError.isInstance(error) ||
    NoContentGeneratedError.isInstance(error) ||
    NoOutputGeneratedError.isInstance(error)
  ) {
    // A stream that died mid-way surfaces as "no output"; the connection is the real cause.
    if (hasConnectionCause(error)) {
      return new ProviderError({
        ...base,
        code: 'provider_unavailable',
        detail: describe(error),
        reason: 'stream_cut',
      });
    }
    return new ProviderError({ ...base, code: 'provider_invalid_response', detail: describe(error) });
  }
  if (hasConnectionCause(error)) {
    return new ProviderError({
      ...base,
      code: 'provider_unavailable',
      detail: describe(error),
      reason: 'connection_error',
    });
  }
  return undefined;
}

/** The provider's words, cut short and without any credential (some providers echo the key back). */
function describe(error: unknown, secrets: readonly string[] = []): string {
  const message = scrubSecretText(error instanceof Error ? error.message : String(error), secrets);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/** Walks the cause chain for a socket-level failure (reset, refused, "terminated" body). */
function hasConnectionCause(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (typeof current === 'object') {
      const record = current as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
      if (typeof record.code === 'string' && connectionErrorCodes.has(record.code)) return true;
      if (
        record.name === 'TypeError' &&
        (record.message === 'terminated' || record.message === 'fetch failed')
      ) {
        return true;
      }
      if (record.name === 'SocketError') return true;
      current = record.cause;
    } else {
      return false;
    }
  }
  return false;
}
