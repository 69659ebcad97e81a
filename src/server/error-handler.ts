import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorKind, FlightdeckError } from '../core/errors.ts';

/** The one mapping from domain error kinds to HTTP statuses. */
export const statusByKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
  timeout: 504,
};

export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

/** Fastify's own request errors, translated to stable codes and messages a user can act on. */
const fastifyErrors: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message: 'The request body is not valid JSON. Check quoting, commas and brackets.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message:
      'The request says its body is JSON but the body is empty. Send a JSON document or no Content-Type.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'This endpoint accepts application/json. Set Content-Type: application/json.',
  },
  // Router errors (Fastify's frameworkErrors): the URL is rejected before any route runs.
  FST_ERR_BAD_URL: {
    status: 400,
    code: 'invalid_url',
    message:
      'The URL path has an invalid percent-encoding (it must decode to UTF-8). Check the ids in the path.',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'path_parameter_too_long',
    message: 'A path parameter is longer than 100 characters; no id is that long. Check the URL.',
  },
  FST_ERR_ASYNC_CONSTRAINT: {
    status: 400,
    code: 'bad_request',
    message: 'The request does not match any version or host constraint of this route.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_content_length',
    message: 'The Content-Length header does not match the body that was sent.',
  },
};

/**
 * Every error leaving the API goes through here: domain errors keep their code, request
 * validation becomes `validation_failed` with one entry per problem, and anything unexpected
 * becomes a 500 that names only the request id (the details go to the log, not the client).
 */
export function createErrorHandler(options: { bodyLimitBytes: number }) {
  return function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const { status, body } = describeError(error, request, options.bodyLimitBytes);
    if (FlightdeckError.isInstance(error) && error.retryAfterSeconds !== undefined) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
    }
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.error.code }, 'request rejected');
    return reply.status(status).type('application/json').send(body);
  };
}

/** The status and Flightdeck error body for any error (the OpenAI-compatible routes translate it). */
export function describeError(
  error: FastifyError,
  request: FastifyRequest,
  bodyLimitBytes: number,
): { status: number; body: ErrorBody } {
  if (FlightdeckError.isInstance(error)) {
    return {
      status: statusByKind[error.kind],
      body: { error: { code: error.code, message: error.message, details: error.details ?? null } },
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    // Fields the server controls (ids, owners, timestamps) or that do not exist are refused, never applied.
    const unknownFields = error.validation.flatMap((issue) =>
      issue.keyword === 'unrecognized_keys'
        ? ((issue.params as { keys?: string[] }).keys ?? []).map(
            (key) => `${issue.instancePath === '/' ? '' : issue.instancePath.slice(1).concat('.')}${key}`,
          )
        : [],
    );
    if (unknownFields.length > 0) {
      return {
        status: 400,
        body: {
          error: {
            code: 'unknown_field',
            message: `Unknown or read-only field(s): ${unknownFields.join(', ')}. Remove them from the request.`,
            details: { fields: unknownFields },
          },
        },
      };
    }
    const problems = error.validation.map((issue) => ({
      location: error.validationContext ?? 'body',
      path: issue.instancePath || '/',
      message: issue.message ?? 'is invalid',
    }));
    const summary = problems
      .map((problem) => `${problem.location}${problem.path}: ${problem.message}`)
      .join('; ');
    return {
      status: 400,
      body: {
        error: {
          code: 'validation_failed',
          message: `The request is invalid: ${summary}`,
          details: problems,
        },
      },
    };
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      status: 413,
      body: {
        error: {
          code: 'payload_too_large',
          message: `The request body is larger than the limit of ${bodyLimitBytes} bytes.`,
          details: { limitBytes: bodyLimitBytes },
        },
      },
    };
  }
  const known = fastifyErrors[error.code];
  if (known)
    return {
      status: known.status,
      body: { error: { code: known.code, message: known.message, details: null } },
    };
  const statusCode = error.statusCode ?? 500;
  if (statusCode >= 400 && statusCode < 500) {
    return {
      status: statusCode,
      body: { error: { code: 'bad_request', message: error.message, details: null } },
    };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'internal_error',
        message: `Something went wrong on our side. Quote request id ${request.id} when reporting it.`,
        details: { requestId: request.id },
      },
    },
  };
}
