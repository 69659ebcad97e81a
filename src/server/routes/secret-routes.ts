import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services/create-services.ts';
import { maxSecretValueLength } from '../../services/secrets/workspace-secret-service.ts';
import { accessOf, actorOf } from '../authentication.ts';
import { authenticated, errorResponses, listOf, workspaceIdParams } from '../schemas.ts';

// The name's rule is the service's (400 secret_name_invalid with a message saying what a name is).
const nameSchema = z.string().min(1, { message: 'must not be empty' }).max(200);
const valueSchema = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(maxSecretValueLength, { message: `must be at most ${maxSecretValueLength} characters` });

const secretSchema = z.object({
  id: z.string(),
  name: z.string(),
  lastFour: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const secretParams = workspaceIdParams.extend({ secretName: z.string().min(1).max(200) });

/** Workspace secrets for `{{ secrets.NAME }}` in workflow http steps: the value goes in, never out. */
export function secretRoutes(dependencies: Pick<Services, 'secrets'>): FastifyPluginAsyncZod {
  const { secrets } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/secrets',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['secrets'],
          summary: 'List secrets by name (never the value)',
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: listOf(secretSchema), ...errorResponses },
        },
      },
      async (request) => ({ items: await secrets.list(accessOf(request)), nextCursor: null }),
    );

    app.post(
      '/api/workspaces/:workspaceId/secrets',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['secrets'],
          summary: 'Add a secret (name: upper case, digits, underscores)',
          security: authenticated,
          params: workspaceIdParams,
          body: z.object({ name: nameSchema, value: valueSchema }).strict(),
          response: { 201: secretSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await secrets.create(accessOf(request), actorOf(request), request.body)),
    );

    app.put(
      '/api/workspaces/:workspaceId/secrets/:secretName',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['secrets'],
          summary: "Replace a secret's value",
          security: authenticated,
          params: secretParams,
          body: z.object({ value: valueSchema }).strict(),
          response: { 200: secretSchema, ...errorResponses },
        },
      },
      async (request) =>
        secrets.update(accessOf(request), actorOf(request), request.params.secretName, request.body),
    );

    app.delete(
      '/api/workspaces/:workspaceId/secrets/:secretName',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['secrets'],
          summary: 'Delete a secret (steps that use it then fail with secret_not_found)',
          security: authenticated,
          params: secretParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await secrets.remove(accessOf(request), actorOf(request), request.params.secretName);
        return reply.status(204).send(null);
      },
    );
  };
}
