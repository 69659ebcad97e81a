import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditActions } from '../../services/audit/audit-log.ts';
import type { Services } from '../../services/create-services.ts';
import { accessOf } from '../authentication.ts';
import { authenticated, errorResponses, listOf, queryDateSchema, workspaceIdParams } from '../schemas.ts';

const auditEventSchema = z.object({
  id: z.string(),
  action: z.string(),
  actor: z.object({
    userId: z.string().nullable(),
    tokenId: z.string().nullable(),
    email: z.string().nullable(),
  }),
  target: z.object({ type: z.string(), id: z.string().nullable() }),
  metadata: z.record(z.string(), z.unknown()),
  address: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: z.date(),
});

/** The workspace's audit log, newest first. */
export function auditRoutes(dependencies: Pick<Services, 'audit'>): FastifyPluginAsyncZod {
  const { audit } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/audit-events',
      {
        // Security-relevant history: those who manage members see it.
        config: { permission: 'manage_members' },
        schema: {
          tags: ['audit'],
          summary: 'Audit events, newest first, with filters and a cursor',
          security: authenticated,
          params: workspaceIdParams,
          querystring: z
            .object({
              action: z.enum(auditActions).optional(),
              actorUserId: z.string().max(64).optional(),
              targetId: z.string().max(64).optional(),
              from: queryDateSchema.optional(),
              to: queryDateSchema.optional(),
              cursor: z.string().max(200).optional(),
              limit: z.coerce.number().int().min(1).max(200).default(50),
            })
            .strict(),
          response: { 200: listOf(auditEventSchema), ...errorResponses },
        },
      },
      async (request) => audit.list(accessOf(request).workspaceId, request.query),
    );
  };
}
