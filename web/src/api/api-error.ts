/** An error answer of the API, `{ error: { code, message, details } }`, kept as the server wrote it. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  /** From `Retry-After` on a 429 or 503: how long to wait before trying again; null when not sent. */
  readonly retryAfterSeconds: number | null;

  constructor(options: {
    status: number;
    code: string;
    message: string;
    details?: unknown;
    retryAfterSeconds?: number | null;
  }) {
    super(options.message);
    this.name = 'ApiError';
    this.status = options.status;
    this.code = options.code;
    this.details = options.details ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }

  static isInstance(value: unknown): value is ApiError {
    return value instanceof ApiError;
  }
}

/** Builds an ApiError from a failed response, falling back to the status line when the body is not ours. */
export async function apiErrorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  const retryAfterSeconds = retryAfterOf(response.headers.get('retry-after'));
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code && body.error.message) {
      return new ApiError({
        status: response.status,
        code: body.error.code,
        message: body.error.message,
        details: body.error.details,
        retryAfterSeconds,
      });
    }
  } catch {
    // Not JSON: a proxy or the network answered, not the API.
  }
  return new ApiError({
    status: response.status,
    code: `http_${response.status}`,
    message: `The server answered ${response.status} ${response.statusText}.`.trim(),
    retryAfterSeconds,
  });
}

/** `Retry-After` is either seconds or an HTTP date; anything else counts as not sent. */
function retryAfterOf(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
