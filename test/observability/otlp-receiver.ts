import { createServer, type Server } from 'node:http';

/** One span as a collector receives it, attributes decoded, with its resource and scope. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  resource: Record<string, unknown>;
  /** The instrumentation scope that made it: `flightdeck`, `@fastify/otel`, `@opentelemetry/instrumentation-pg`. */
  scope: string;
}

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
};

const decode = (value: OtlpValue): unknown => {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decode);
  return null;
};
const attributesOf = (list: Array<{ key: string; value: OtlpValue }> | undefined) =>
  Object.fromEntries((list ?? []).map((entry) => [entry.key, decode(entry.value)]));

export type OtlpReceiver = Awaited<ReturnType<typeof startOtlpReceiver>>;

/**
 * A local OTLP/HTTP (JSON) receiver: what a collector would get, and every raw body for the canary.
 * `url` is the traces endpoint; `baseUrl` is what OTEL_EXPORTER_OTLP_ENDPOINT takes.
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      bodies.push(body);
      const payload = JSON.parse(body) as {
        resourceSpans: Array<{
          resource?: { attributes?: Array<{ key: string; value: OtlpValue }> };
          scopeSpans: Array<{
            scope?: { name?: string };
            spans: Array<Omit<ReceivedSpan, 'attributes' | 'resource' | 'scope'> & { attributes?: [] }>;
          }>;
        }>;
      };
      for (const resourceSpans of payload.resourceSpans) {
        const resource = attributesOf(resourceSpans.resource?.attributes);
        for (const scope of resourceSpans.scopeSpans)
          for (const span of scope.spans)
            spans.push({
              ...span,
              attributes: attributesOf(span.attributes),
              resource,
              scope: scope.scope?.name ?? '',
            });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Whether `ancestor` is `span`'s parent, grandparent, … within `spans`. */
export function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  let current: ReceivedSpan | undefined = span;
  for (let depth = 0; current && depth < 64; depth += 1) {
    if (current.parentSpanId === ancestor.spanId) return true;
    current = byId.get(current.parentSpanId);
  }
  return false;
}
