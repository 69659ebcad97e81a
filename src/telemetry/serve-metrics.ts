import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FlightdeckMetrics } from './flightdeck-metrics.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A listener that serves only `GET /metrics` (and `/healthz`), for processes without the API:
 * `flightdeck worker` drives runs, so its counters are the ones that count them.
 */
export async function serveMetrics(options: {
  metrics: FlightdeckMetrics;
  host: string;
  port: number;
  token?: string | undefined;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || (path !== '/metrics' && path !== '/healthz')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (options.token !== undefined) {
      const presented = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!timingSafeEqual(digest(presented), digest(options.token))) {
        response.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"' }).end();
        return;
      }
    }
    options.metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': options.metrics.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
