/**
 * Domain errors. Every expected failure carries a stable `code` that clients can rely on,
 * a message that tells the user what to fix, and a `kind` that the HTTP edge maps to a status
 * in one place (src/server/error-handler.ts). Core never knows about HTTP.
 */

export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payment_required'
  | 'too_large'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'bad_gateway'
  | 'timeout'
  | 'internal';

const marker = Symbol.for('flightdeck.error');

export interface FlightdeckErrorOptions {
  code: string;
  message: string;
  kind: ErrorKind;
  details?: unknown;
  cause?: unknown;
  /** Seconds after which the client may retry (rate limits, unavailability). */
  retryAfterSeconds?: number;
}

/** An expected failure with a stable code. */
export class FlightdeckError extends Error {
  readonly [marker] = true;
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: unknown;
  readonly retryAfterSeconds: number | undefined;

  constructor(options: FlightdeckErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FlightdeckError';
    this.code = options.code;
    this.kind = options.kind;
    this.details = options.details ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** True for any FlightdeckError, even one from another copy of this module. */
  static isInstance(error: unknown): error is FlightdeckError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}

/** 400: the request is malformed or violates a rule the client can fix. */
export function invalidError(code: string, message: string, details?: unknown): FlightdeckError {
  return new FlightdeckError({ code, message, kind: 'invalid', details });
}

/** 404: the resource does not exist in the caller's scope. */
export function notFoundError(code: string, message: string, details?: unknown): FlightdeckError {
  return new FlightdeckError({ code, message, kind: 'not_found', details });
}

/** 409: the request conflicts with the current state. */
export function conflictError(code: string, message: string, details?: unknown): FlightdeckError {
  return new FlightdeckError({ code, message, kind: 'conflict', details });
}
