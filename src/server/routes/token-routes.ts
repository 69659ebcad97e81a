import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { roles } from '../../security/permissions.ts';
import type { Services } from '../../services/create-services.ts';
import { accessOf, actorOf } from '../authentication.ts';
import { authenticated, errorResponses, listOf, nameSchema, workspaceIdParams } from '../schemas.ts';

const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  prefix: z.string(),
  createdBy: z.object({ id: z.string(), email: z.string(), name: z.string() }).nullable(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  rateLimitPerMinute: z.number().nullable(),
});

/** Workspace API tokens: list, create (the secret is in this answer only), revoke. */
export function tokenRoutes(dependencies: Pick<Services, 'apiTokens'>): FastifyPluginAsyncZod {
  const { apiTokens } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/tokens',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['tokens'],
          summary: 'List active API tokens (prefix, role, creator, created, last used)',
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: listOf(tokenSchema), ...errorResponses },
        },
      },
      async (request) => ({ items: await apiTokens.list(accessOf(request)), nextCursor: null }),
    );

    app.post(
      '/api/workspaces/:workspaceId/tokens',
      {
        config: { permission: 'manage_tokens' },
        schema: {
          tags: ['tokens'],
          summary: 'Create an API token with a role no higher than yours; the secret is shown once',
          security: authenticated,
          params: workspaceIdParams,
          body: z
            .object({
              name: nameSchema,
              role: z.enum(roles),
              rateLimitPerMinute: z.number().int().min(1).max(1_000_000).nullable().optional(),
            })
            .strict(),
          response: { 201: tokenSchema.extend({ token: z.string() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const access = accessOf(request);
        // Audited in the same transaction as the insert.
        const created = await apiTokens.create(access, request.body, actorOf(request));
        return reply.status(201).send(created);
      },
    );

    app.delete(
      '/api/workspaces/:workspaceId/tokens/:tokenId',
      {
        config: { permission: 'manage_tokens' },
        schema: {
          tags: ['tokens'],
          summary: 'Revoke a token; it stops working on its next request',
          security: authenticated,
          params: workspaceIdParams.extend({ tokenId: z.string().min(1).max(64) }),
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const access = accessOf(request);
        await apiTokens.revoke(access, request.params.tokenId, actorOf(request));
        return reply.status(204).send(null);
      },
    );
  };
}
