import { context, propagation, trace } from '@opentelemetry/api';

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
 * OTEL_EXPORTER_OTLP_* options) are read by the exporter itself. The SDK is imported only then:
 * its packages hold about 30 MB that a node without traces should not carry.
 */
export async function startTracing(options: {
  endpoint: string | undefined;
  serviceName: string;
  version: string;
  /** The node's id, so spans of scaled-out nodes tell apart. */
  instanceId?: string;
  /** How often buffered spans are sent (default 2 s). */
  exportDelayMs?: number;
}): Promise<Tracing | null> {
  if (options.endpoint === undefined) return null;
  const [
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { BatchSpanProcessor, TracerProvider },
  ] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
  ]);
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
