import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { FlightdeckError } from '../../core/errors.ts';
import { secretMatches } from '../../services/guardrails/alertmanager-receiver.ts';
import type { Telemetry } from '../../telemetry/telemetry.ts';

/**
 * `GET /metrics` in Prometheus's text format: this node's counters and histograms and the
 * database-backed gauges (with several serving processes, the group's: `serving-group-metrics.ts`). Public unless FLIGHTDECK_METRICS_TOKEN is set, then a bearer token.
 */
export function metricsRoutes(dependencies: {
  telemetry: Telemetry;
  token: string | undefined;
}): FastifyPluginAsyncZod {
  const { metrics } = dependencies.telemetry;
  return async (app) => {
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics of this node, all its serving processes (text exposition format)',
          description:
            'Bounded labels: workspace, workflow and agent slugs, status, provider, model. Send Authorization: Bearer <FLIGHTDECK_METRICS_TOKEN> when the server sets one.',
        },
        config: { public: true },
      },
      async (request, reply) => {
        const token = dependencies.token;
        if (token !== undefined) {
          const presented = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
          if (!secretMatches(presented, token)) {
            reply.header('www-authenticate', 'Bearer realm="metrics"');
            throw new FlightdeckError({
              code: 'metrics_token_invalid',
              kind: 'unauthenticated',
              message:
                'Send Authorization: Bearer <FLIGHTDECK_METRICS_TOKEN> (bearer_token in the scrape job).',
            });
          }
        }
        reply.header('content-type', metrics.contentType);
        reply.header('cache-control', 'no-store');
        return metrics.text();
      },
    );
  };
}
