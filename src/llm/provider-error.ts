import type { ErrorKind } from '../core/errors.ts';
import { FlightdeckError } from '../core/errors.ts';
import type { ProviderKind } from './language-model-provider.ts';

export type ProviderErrorCode =
  | 'provider_auth_failed'
  | 'provider_rate_limited'
  | 'provider_unavailable'
  | 'provider_timeout'
  | 'provider_bad_request'
  | 'provider_invalid_response'
  | 'provider_content_filtered'
  | 'provider_not_configured';

/**
 * How each code reaches our own HTTP edge. A provider rejecting our stored key is not the
 * caller's session failing, so `provider_auth_failed` is a bad gateway (502), never a 401.
 */
export const providerErrorKinds: Record<ProviderErrorCode, ErrorKind> = {
  provider_auth_failed: 'bad_gateway',
  provider_rate_limited: 'rate_limited',
  provider_unavailable: 'unavailable',
  provider_timeout: 'timeout',
  provider_bad_request: 'unprocessable',
  provider_invalid_response: 'bad_gateway',
  provider_content_filtered: 'unprocessable',
  provider_not_configured: 'unprocessable',
};

/** What the user should do, per code; the adapter's detail is appended. */
const advice: Record<ProviderErrorCode, string> = {
  provider_auth_failed:
    'The provider rejected the API key. Check or rotate the provider key in the workspace settings.',
  provider_rate_limited:
    'The provider is rate limiting this key. Retry later, lower the request rate, or raise the quota with the provider.',
  provider_unavailable: 'The provider is unavailable. Retry later or add a fallback model to the agent.',
  provider_timeout:
    'The provider did not answer in time. Retry, raise the agent timeout, or lower max tokens.',
  provider_bad_request:
    'The provider rejected the request. Check the model name, max tokens and output schema of the agent.',
  provider_invalid_response:
    'The provider sent a response that could not be read. Retry; if it persists, check the base URL points at a compatible API.',
  provider_content_filtered:
    "The provider's content filter blocked the prompt or the answer. Rephrase the prompt or input.",
  provider_not_configured:
    'No usable provider key is configured for this provider. Add one in the workspace settings, or run in mock mode.',
};

export interface AttemptRecord {
  provider: ProviderKind;
  model: string;
  status: 'succeeded' | 'failed';
  /** HTTP status of the provider's answer, when there was one. */
  statusCode: number | null;
  errorCode: ProviderErrorCode | null;
  latencyMs: number;
}

export interface ProviderErrorOptions {
  code: ProviderErrorCode;
  detail?: string;
  statusCode?: number;
  isRetryable?: boolean;
  retryAfterMs?: number;
  provider?: ProviderKind;
  model?: string;
  requestId?: string;
  cause?: unknown;
  /** Extra machine-readable facts, e.g. `{ reason: 'circuit_open' }`. */
  reason?: string;
}

const retryableByDefault: Record<ProviderErrorCode, boolean> = {
  provider_auth_failed: false,
  provider_rate_limited: true,
  provider_unavailable: true,
  provider_timeout: true,
  provider_bad_request: false,
  provider_invalid_response: false,
  provider_content_filtered: false,
  provider_not_configured: false,
};

/** A failed provider call with a stable code and the facts the retry decision needs. */
export class ProviderError extends FlightdeckError {
  declare readonly code: ProviderErrorCode;
  readonly statusCode: number | undefined;
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly provider: ProviderKind | undefined;
  readonly model: string | undefined;
  readonly requestId: string | undefined;
  readonly reason: string | undefined;
  /** Every attempt of the call that ended in this error; set by the model caller. */
  attempts: AttemptRecord[] = [];
  fallbackUsed = false;

  constructor(options: ProviderErrorOptions) {
    const message = options.detail ? `${advice[options.code]} (${options.detail})` : advice[options.code];
    super({
      code: options.code,
      message,
      kind: providerErrorKinds[options.code],
      cause: options.cause,
      retryAfterSeconds:
        options.retryAfterMs === undefined ? undefined : Math.ceil(options.retryAfterMs / 1000),
      details: {
        provider: options.provider ?? null,
        model: options.model ?? null,
        statusCode: options.statusCode ?? null,
        requestId: options.requestId ?? null,
        reason: options.reason ?? null,
      },
    });
    this.name = 'ProviderError';
    this.statusCode = options.statusCode;
    this.isRetryable = options.isRetryable ?? retryableByDefault[options.code];
    this.retryAfterMs = options.retryAfterMs;
    this.provider = options.provider;
    this.model = options.model;
    this.requestId = options.requestId;
    this.reason = options.reason;
  }

  static isProviderError(error: unknown): error is ProviderError {
    return error instanceof ProviderError;
  }
}
