import type { Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { context, markError, startRequestSpan, trace } from './tracing.ts';

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * A server span per HTTP request, named by its route pattern (never the raw path: webhook paths
 * carry secrets), that is the active span while the handler runs, so an execution started by the
 * API is a trace under its request. Only while tracing is on.
 */
export function traceHttp(app: FastifyInstance, enabled: () => boolean): void {
  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    if (!enabled()) return done();
    const span = startRequestSpan(request.method, request.routeOptions.url ?? 'unmatched', request.headers);
    spans.set(request, span);
    context.with(trace.setSpan(context.active(), span), done);
  });
  // Body parsing runs in the socket's context; enter the span again right before the handler.
  app.addHook('preHandler', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const span = spans.get(request);
    if (!span) return done();
    context.with(trace.setSpan(context.active(), span), done);
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) markError(span, String(reply.statusCode));
    span.end();
  });
}
