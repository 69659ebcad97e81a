import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FlightdeckError } from '../core/errors.ts';
import { describeError } from './error-handler.ts';

/** OpenAI's error body, which its SDKs turn into their error classes. */
export interface OpenAiErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    /** The execution that failed, to look up in the history; absent when none was recorded. */
    execution_id?: string;
  };
}

/** Our codes that OpenAI clients know under OpenAI's own names. */
const openAiCodes: Record<string, string> = {
  unauthenticated: 'invalid_api_key',
  invalid_token: 'invalid_api_key',
  rate_limited: 'rate_limit_exceeded',
  route_not_found: 'unknown_url',
};

function typeFor(status: number): string {
  if (status === 401) return 'invalid_request_error'; // as OpenAI answers a bad key
  if (status === 402) return 'insufficient_quota';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'requests';
  if (status === 422 || status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** `/messages/0/content` → `messages[0].content`. */
function paramFromPointer(pointer: string): string | null {
  const segments = pointer.split('/').filter(Boolean);
  if (segments.length === 0) return null;
  return segments.reduce(
    (param, segment) =>
      /^\d+$/.test(segment) ? `${param}[${segment}]` : param ? `${param}.${segment}` : segment,
    '',
  );
}

function paramOf(code: string, details: unknown): string | null {
  if (typeof details !== 'object' || details === null) return null;
  if (code === 'validation_failed' && Array.isArray(details)) {
    const first = details[0] as { path?: unknown } | undefined;
    return typeof first?.path === 'string' ? paramFromPointer(first.path) : null;
  }
  const param = (details as { param?: unknown }).param;
  return typeof param === 'string' ? param : null;
}

/**
 * The one translation from Flightdeck's error answers to OpenAI's: the status stays what the
 * app-wide handler decides (so 402 for budgets, 429 for rate limits, 5xx for provider failures),
 * the body takes OpenAI's `{ error: { message, type, param, code } }` shape.
 */
export function describeOpenAiError(
  error: FastifyError,
  request: FastifyRequest,
  bodyLimitBytes: number,
): { status: number; body: OpenAiErrorBody } {
  const { status, body } = describeError(error, request, bodyLimitBytes);
  const { code, message, details } = body.error;
  const executionId = (details as { executionId?: unknown } | null)?.executionId;
  return {
    status,
    body: {
      error: {
        message,
        type: typeFor(status),
        param: paramOf(code, details),
        code: openAiCodes[code] ?? code,
        ...(typeof executionId === 'string' ? { execution_id: executionId } : {}),
      },
    },
  };
}

/** The error handler of the `/v1` plugin: OpenAI's body shape, with Retry-After where one applies. */
export function createOpenAiErrorHandler(options: { bodyLimitBytes: number }) {
  return function handleOpenAiError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const { status, body } = describeOpenAiError(error, request, options.bodyLimitBytes);
    if (FlightdeckError.isInstance(error) && error.retryAfterSeconds !== undefined) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
    }
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.error.code }, 'request rejected');
    return reply.status(status).type('application/json').send(body);
  };
}
