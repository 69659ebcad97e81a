import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AlertmanagerReceiver } from '../../services/guardrails/alertmanager-receiver.ts';

const labelSet = z.record(z.string(), z.string());

/** Alertmanager's webhook payload (version 4); fields the receiver does not read pass through. */
const alertmanagerPayload = z.looseObject({
  version: z.string().optional(),
  status: z.string().optional(),
  receiver: z.string().optional(),
  alerts: z
    .array(
      z.looseObject({
        status: z.string(),
        labels: labelSet,
        annotations: labelSet.default({}),
        startsAt: z.string().optional(),
        endsAt: z.string().optional(),
        generatorURL: z.string().optional(),
        fingerprint: z.string().optional(),
      }),
    )
    .max(1_000),
});

/** `POST /api/alerts/alertmanager`: Alertmanager's webhook, authenticated by the shared secret. */
export function alertmanagerRoutes(dependencies: { receiver: AlertmanagerReceiver }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/alerts/alertmanager',
      {
        schema: {
          tags: ['operations'],
          summary: 'Receive Alertmanager notifications as workspace notifications',
          description:
            "Alertmanager's webhook_config posts here with Authorization: Bearer <FLIGHTDECK_ALERTMANAGER_SECRET>. An alert's `workspace` label picks the workspace; alerts without one go to the instance's first workspace.",
          body: alertmanagerPayload,
          response: { 200: z.object({ received: z.number().int(), notified: z.number().int() }) },
        },
        // Not a session or token route: the shared secret is checked before the body is read.
        config: { public: true },
        onRequest: async (request) => dependencies.receiver.authenticate(request.headers.authorization),
      },
      async (request) => dependencies.receiver.receive(request.body.alerts),
    );
  };
}
