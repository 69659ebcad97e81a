import { createHash } from 'node:crypto';
import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

/**
 * Spans through the OpenTelemetry API only. Without the SDK (no OTEL_EXPORTER_OTLP_ENDPOINT) the API
 * hands out non-recording spans, and every helper here checks `isRecording()` before it computes an
 * attribute, so tracing costs next to nothing when it is off.
 */
export const tracer = () => trace.getTracer('flightdeck');

/** Runs `work` in a new active span; a thrown error marks the span (by its type only) and ends it. */
export async function inSpan<Result>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  work: (span: Span) => Promise<Result>,
): Promise<Result> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    markError(span, errorType(error));
    throw error;
  } finally {
    span.end();
  }
}

/**
 * The error's stable code (FlightdeckError, ProviderError) or its class name: never its message,
 * which may quote a provider's answer.
 */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[a-z][a-z0-9_]*$/.test(code)) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return 'error';
}

export function markError(span: Span, type: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/**
 * The parent of every `workflow.run` span of one run: a remote span context derived from the run
 * id. A run is driven again after an approval or a crash, maybe by another node; deriving the trace
 * id from the run makes all its drives, steps and provider calls one trace without storing it.
 */
export function runTraceParent(runId: string): Context {
  const digest = createHash('sha256').update(`flightdeck-run:${runId}`).digest('hex');
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: digest.slice(0, 32),
    spanId: digest.slice(32, 48),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/** Wraps one drive of a run (a queue job) in `workflow.run`. */
export function traceRunDrive<Result>(runId: string, work: () => Promise<Result>): Promise<Result> {
  return inSpan(
    'workflow.run',
    { parent: runTraceParent(runId), attributes: { 'flightdeck.run.id': runId } },
    () => work(),
  );
}

/** Wraps one attempt of one step in `workflow.step`, under the run's span. */
export function traceStep<Result>(
  step: { runId: string; stepId: string; kind: string },
  work: () => Promise<Result>,
): Promise<Result> {
  return inSpan(
    'workflow.step',
    {
      attributes: {
        'flightdeck.run.id': step.runId,
        'flightdeck.step.id': step.stepId,
        'flightdeck.step.kind': step.kind,
      },
    },
    () => work(),
  );
}

export { context, SpanKind, trace };
