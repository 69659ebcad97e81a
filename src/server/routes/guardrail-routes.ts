import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services/create-services.ts';
import { accessOf, actorOf } from '../authentication.ts';
import { authenticated, errorResponses, listOf, workspaceIdParams } from '../schemas.ts';

const unpricedCalls = z
  .number()
  .describe('Calls of a model without a price: spentUsd counts them at 0, which is not what they cost');
const usageLine = z.object({
  spentUsd: z.number(),
  reservedUsd: z.number(),
  calls: z.number(),
  unpricedCalls,
});
const usageSchema = z.object({
  periodStart: z.date(),
  resetsAt: z.date(),
  limitUsd: z.number().nullable(),
  spentUsd: z.number(),
  reservedUsd: z.number(),
  remainingUsd: z.number().nullable(),
  unpricedCalls,
  byAgent: z.array(usageLine.extend({ agentId: z.string().nullable() })),
  byProviderKey: z.array(
    usageLine.extend({
      providerKeyId: z.string().nullable(),
      providerKeyLabel: z.string().nullable(),
      providerKeyDeleted: z.boolean(),
    }),
  ),
});

const notificationSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
  readAt: z.date().nullable(),
});

const deliverySchema = z.object({
  id: z.string(),
  url: z.string(),
  event: z.string(),
  status: z.string(),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.date(),
  createdAt: z.date(),
  deliveredAt: z.date().nullable(),
});

/** Spend this month, per-agent limits, notifications, alert webhook deliveries and signing secret. */
export function guardrailRoutes(
  dependencies: Pick<Services, 'budgets' | 'agentLimits' | 'notifications' | 'webhooks'>,
): FastifyPluginAsyncZod {
  const { budgets, agentLimits, notifications, webhooks } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/usage',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['guardrails'],
          summary: "This month's spend, reserved and remaining budget, by agent and by provider key",
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: usageSchema, ...errorResponses },
        },
      },
      async (request) => budgets.usage(accessOf(request).workspaceId),
    );

    app.put(
      '/api/workspaces/:workspaceId/agents/:agentId/budget',
      {
        config: { permission: 'manage_settings' },
        schema: {
          tags: ['guardrails'],
          summary: "Set or clear an agent's own monthly spending limit (within the workspace's)",
          security: authenticated,
          params: workspaceIdParams.extend({ agentId: z.string().min(1).max(64) }),
          body: z.object({ monthlyLimitUsd: z.number().min(0).max(100_000_000).nullable() }).strict(),
          response: {
            200: z.object({ agentId: z.string(), monthlyLimitUsd: z.number().nullable() }),
            ...errorResponses,
          },
        },
      },
      async (request) =>
        agentLimits.set(
          accessOf(request).workspaceId,
          actorOf(request),
          request.params.agentId,
          request.body.monthlyLimitUsd,
        ),
    );

    app.get(
      '/api/workspaces/:workspaceId/agents/:agentId/budget',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['guardrails'],
          summary:
            "An agent's own monthly limit (null: only the workspace's applies) and its spend this month",
          security: authenticated,
          params: workspaceIdParams.extend({ agentId: z.string().min(1).max(64) }),
          response: {
            200: z.object({
              agentId: z.string(),
              monthlyLimitUsd: z.number().nullable(),
              spentUsd: z.number(),
              reservedUsd: z.number(),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => agentLimits.get(accessOf(request).workspaceId, request.params.agentId),
    );

    app.get(
      '/api/workspaces/:workspaceId/notifications',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['guardrails'],
          summary: 'In-app notifications (budget alerts), newest first',
          security: authenticated,
          params: workspaceIdParams,
          querystring: z
            .object({
              unread: z.enum(['true', 'false']).optional(),
              limit: z.coerce.number().int().min(1).max(200).default(50),
            })
            .strict(),
          response: { 200: listOf(notificationSchema), ...errorResponses },
        },
      },
      async (request) => ({
        items: await notifications.list(accessOf(request).workspaceId, {
          unreadOnly: request.query.unread === 'true',
          limit: request.query.limit,
        }),
        nextCursor: null,
      }),
    );

    app.post(
      '/api/workspaces/:workspaceId/notifications/:notificationId/read',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['guardrails'],
          summary: 'Mark a notification read',
          security: authenticated,
          params: workspaceIdParams.extend({ notificationId: z.string().min(1).max(64) }),
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await notifications.markRead(accessOf(request).workspaceId, request.params.notificationId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/webhook-deliveries',
      {
        config: { permission: 'manage_settings' },
        schema: {
          tags: ['guardrails'],
          summary: 'Alert webhook deliveries with their attempts and last outcome',
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: listOf(deliverySchema), ...errorResponses },
        },
      },
      async (request) => ({
        items: await notifications.listDeliveries(accessOf(request).workspaceId),
        nextCursor: null,
      }),
    );

    app.post(
      '/api/workspaces/:workspaceId/alert-webhook/signing-secret',
      {
        config: { permission: 'manage_settings' },
        schema: {
          tags: ['guardrails'],
          summary: 'Rotate the alert webhook signing secret; the new one is shown in this answer only',
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: z.object({ signingSecret: z.string(), header: z.string() }), ...errorResponses },
        },
      },
      async (request) => {
        const access = accessOf(request);
        // Rotated and audited in one transaction.
        const signingSecret = await webhooks.rotateSigningSecret(access.workspaceId, actorOf(request));
        return {
          signingSecret,
          header: 'Flightdeck-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">',
        };
      },
    );
  };
}
