import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Store } from '../../store/database.ts';

const healthSchema = z.object({ status: z.literal('ok') });
const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: z.enum(['ok', 'unreachable']),
    migrations: z.enum(['ok', 'pending', 'unknown']),
  }),
});

/** Liveness (the process answers) and readiness (the database answers and is migrated). */
export function healthRoutes(dependencies: { store: Store }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Liveness: the process is up',
          response: { 200: healthSchema },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Readiness: the database answers and all migrations are applied',
          response: { 200: readinessSchema, 503: readinessSchema },
        },
      },
      async (request, reply) => {
        let database: 'ok' | 'unreachable' = 'ok';
        let migrations: 'ok' | 'pending' | 'unknown' = 'unknown';
        try {
          await dependencies.store.ping();
          const status = await dependencies.store.migrationStatus();
          migrations = status.upToDate ? 'ok' : 'pending';
        } catch (error) {
          database = 'unreachable';
          request.log.warn({ err: error }, 'readiness check failed');
        }
        const ready = database === 'ok' && migrations === 'ok';
        return reply.status(ready ? 200 : 503).send({
          status: ready ? ('ready' as const) : ('not_ready' as const),
          checks: { database, migrations },
        });
      },
    );
  };
}
