import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFoundError } from '../../core/errors.ts';
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
export function guardrailRoutes(dependencies: { services: Services }): FastifyPluginAsyncZod {
  const { services } = dependencies;
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
      async (request) => services.budgets.usage(accessOf(request).workspaceId),
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
      async (request) => {
        const access = accessOf(request);
        const found = await services.repositories.agents.find(access.workspaceId, request.params.agentId);
        const agent = found?.agent;
        if (!agent)
          throw notFoundError('agent_not_found', 'No agent with this id or slug in this workspace.');
        await services.budgets.setAgentLimit(access.workspaceId, agent.id, request.body.monthlyLimitUsd);
        await services.audit.record(
          access.workspaceId,
          actorOf(request),
          'workspace.settings_changed',
          { type: 'agent', id: agent.id },
          { agentMonthlyLimitUsd: request.body.monthlyLimitUsd },
        );
        return { agentId: agent.id, monthlyLimitUsd: request.body.monthlyLimitUsd };
      },
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
      async (request) => {
        const access = accessOf(request);
        const found = await services.repositories.agents.find(access.workspaceId, request.params.agentId);
        if (!found)
          throw notFoundError('agent_not_found', 'No agent with this id or slug in this workspace.');
        return services.budgets.agentBudget(access.workspaceId, found.agent.id);
      },
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
      async (request) => {
        const rows = await services.repositories.notifications.list(accessOf(request).workspaceId, {
          unreadOnly: request.query.unread === 'true',
          limit: request.query.limit,
        });
        return {
          items: rows.map((row) => ({
            id: row.id,
            kind: row.kind,
            title: row.title,
            body: row.body,
            data: row.data,
            createdAt: row.createdAt,
            readAt: row.readAt,
          })),
          nextCursor: null,
        };
      },
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
        const marked = await services.repositories.notifications.markRead(
          accessOf(request).workspaceId,
          request.params.notificationId,
          services.clock.now(),
        );
        if (!marked)
          throw notFoundError('notification_not_found', 'No notification with this id in this workspace.');
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
      async (request) => {
        const rows = await services.repositories.notifications.listDeliveries(
          accessOf(request).workspaceId,
          100,
        );
        return {
          items: rows.map((row) => ({
            id: row.id,
            url: row.url,
            event: String(row.payload.event ?? 'notification'),
            status: row.status,
            attempts: row.attempts,
            lastStatusCode: row.lastStatusCode,
            lastError: row.lastError,
            nextAttemptAt: row.nextAttemptAt,
            createdAt: row.createdAt,
            deliveredAt: row.deliveredAt,
          })),
          nextCursor: null,
        };
      },
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
        const signingSecret = await services.webhooks.rotateSigningSecret(
          access.workspaceId,
          actorOf(request),
        );
        return {
          signingSecret,
          header: 'Flightdeck-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">',
        };
      },
    );
  };
}
