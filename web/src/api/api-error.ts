/** An error answer of the API, `{ error: { code, message, details } }`, kept as the server wrote it. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(options: { status: number; code: string; message: string; details?: unknown }) {
    super(options.message);
    this.name = 'ApiError';
    this.status = options.status;
    this.code = options.code;
    this.details = options.details ?? null;
  }

  static isInstance(value: unknown): value is ApiError {
    return value instanceof ApiError;
  }
}

/** Builds an ApiError from a failed response, falling back to the status line when the body is not ours. */
export async function apiErrorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code && body.error.message) {
      return new ApiError({
        status: response.status,
        code: body.error.code,
        message: body.error.message,
        details: body.error.details,
      });
    }
  } catch {
    // Not JSON: a proxy or the network answered, not the API.
  }
  return new ApiError({
    status: response.status,
    code: `http_${response.status}`,
    message: `The server answered ${response.status} ${response.statusText}.`.trim(),
  });
}
