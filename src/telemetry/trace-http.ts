import type { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, SpanStatusCode } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tracingEnabled } from './start-tracing.ts';
import { errorType } from './tracing.ts';

let instrumentation: Promise<FastifyOtelInstrumentation> | null = null;
const probePaths = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The one `@fastify/otel` instrumentation of this process, loaded on first use: with tracing off the
 * module is never imported. Only its request span is kept: a span per hook and per handler is noise,
 * and the handler span would carry a thrown error's message. Exceptions are not recorded either:
 * their messages and stacks may quote a provider's answer.
 */
function fastifyInstrumentation(): Promise<FastifyOtelInstrumentation> {
  instrumentation ??= import('@fastify/otel').then(
    ({ FastifyOtelInstrumentation }) =>
      new FastifyOtelInstrumentation({
        instrumentHooks: false,
        instrumentHandler: false,
        recordExceptions: false,
        // Probes and scrapes every few seconds would bury the traces people look for.
        ignorePaths: ({ url }) => probePaths.has(url.split('?')[0] ?? url),
        requestHook: (span, request) => {
          const route = routeOf(request);
          // Never the raw path: webhook paths carry secrets, set-password links carry tokens.
          span.updateName(`${request.method} ${route}`);
          span.setAttribute('url.path', route);
        },
      }),
  );
  return instrumentation;
}

const routeOf = (request: FastifyRequest) => request.routeOptions.url ?? 'unmatched';

/**
 * HTTP server spans from the maintained Fastify instrumentation, registered first so every route and
 * hook added after it is covered; a caller's `traceparent` is continued. Nothing at all while
 * tracing is off. Register it before anything else on the app.
 */
export async function traceHttp(app: FastifyInstance): Promise<void> {
  if (!tracingEnabled()) return;
  await app.register((await fastifyInstrumentation()).plugin());
  // Body parsing runs in the socket's context: enter the request's again right before the handler,
  // so what the handler starts (an execution, its queries) is under the request span.
  app.addHook('preHandler', (request, _reply, done) => {
    const { context: requestContext } = request.opentelemetry();
    if (requestContext) context.with(requestContext, done);
    else done();
  });
  const errors = new WeakMap<FastifyRequest, string>();
  app.addHook('onError', async (request, _reply, error) => {
    errors.set(request, errorType(error));
  });
  // Runs before the plugin's own onSend (route hooks come after the app's), which ends the span:
  // the plugin set the status message to the error's message; put the stable code there instead.
  app.addHook('onSend', async (request, reply, payload) => {
    const type = errors.get(request) ?? (reply.statusCode >= 500 ? String(reply.statusCode) : undefined);
    const span = request.opentelemetry().span;
    if (type !== undefined && span) {
      span.setAttribute('error.type', type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    }
    return payload;
  });
}
