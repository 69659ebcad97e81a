import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

let enabled = false;

/** True once the SDK is started: the HTTP hooks start server spans only then. */
export const tracingEnabled = () => enabled;

export interface Tracing {
  /** Sends what is buffered now (tests; shutdown does it too). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK with the OTLP/HTTP exporter (JSON over HTTP), the W3C trace-context
 * propagator and an AsyncLocalStorage context manager, when an endpoint is configured; otherwise it
 * does nothing and the API in the code stays a no-op. OTEL_EXPORTER_OTLP_HEADERS (and the other
 * OTEL_EXPORTER_OTLP_* options) are read by the exporter itself.
 */
export function startTracing(options: {
  endpoint: string | undefined;
  serviceName: string;
  version: string;
  /** The node's id, so spans of scaled-out nodes tell apart. */
  instanceId?: string;
  /** How often buffered spans are sent (default 2 s). */
  exportDelayMs?: number;
}): Tracing | null {
  if (options.endpoint === undefined) return null;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.version,
      ...(options.instanceId ? { 'service.instance.id': options.instanceId } : {}),
    }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: options.endpoint }),
        scheduledDelayMillis: options.exportDelayMs ?? 2_000,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  return {
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      enabled = false;
      await provider.shutdown();
    },
  };
}
