import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services/create-services.ts';
import {
  workspaceSettingsPatchSchema,
  workspaceSettingsSchema,
} from '../../services/identity/workspace-settings.ts';
import { accessOf, actorOf, principalOf } from '../authentication.ts';
import { authenticated, errorResponses, listOf, nameSchema, workspaceIdParams } from '../schemas.ts';

const workspaceSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  settings: workspaceSettingsSchema,
  createdAt: z.date(),
  updatedAt: z.date(),
});

/** Workspaces: list mine, create, read, rename and change settings, delete. */
export function workspaceRoutes(dependencies: Pick<Services, 'workspaces'>): FastifyPluginAsyncZod {
  const { workspaces } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'Workspaces I belong to (for a token: its workspace)',
          security: authenticated,
          response: { 200: listOf(workspaceSchema), ...errorResponses },
        },
      },
      async (request) => ({ items: await workspaces.list(principalOf(request)), nextCursor: null }),
    );

    app.post(
      '/api/workspaces',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'Create a workspace; the caller becomes its owner',
          security: authenticated,
          body: z.object({ name: nameSchema }).strict(),
          response: { 201: workspaceSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const workspace = await workspaces.create(principalOf(request), request.body, actorOf(request));
        return reply.status(201).send(workspace);
      },
    );

    app.get(
      '/api/workspaces/:workspaceId',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['workspaces'],
          summary: 'Read a workspace and its settings',
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: workspaceSchema, ...errorResponses },
        },
      },
      async (request) => workspaces.get(accessOf(request)),
    );

    app.patch(
      '/api/workspaces/:workspaceId',
      {
        config: { permission: 'manage_settings' },
        schema: {
          tags: ['workspaces'],
          summary: 'Rename a workspace or change its settings (rate limit, budget, alerts)',
          security: authenticated,
          params: workspaceIdParams,
          body: z
            .object({ name: nameSchema.optional(), settings: workspaceSettingsPatchSchema.optional() })
            .strict(),
          response: { 200: workspaceSchema, ...errorResponses },
        },
      },
      async (request) => {
        // The change and its audit event are one transaction (see the workspace service).
        const { workspace } = await workspaces.update(accessOf(request), request.body, actorOf(request));
        return workspace;
      },
    );

    app.delete(
      '/api/workspaces/:workspaceId',
      {
        config: { permission: 'delete_workspace' },
        schema: {
          tags: ['workspaces'],
          summary: 'Delete a workspace and everything in it (owners only)',
          security: authenticated,
          params: workspaceIdParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await workspaces.delete(accessOf(request));
        return reply.status(204).send(null);
      },
    );
  };
}
