import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services/create-services.ts';
import { accessOf, actorOf } from '../authentication.ts';
import { authenticated, errorResponses, listOf, nameSchema, workspaceIdParams } from '../schemas.ts';

const providerSchema = z.enum(['openai', 'anthropic', 'openai-compatible']);
const secretSchema = z.string().trim().min(1, { message: 'must not be empty' }).max(4096);
const baseUrlSchema = z
  .string()
  .trim()
  .max(2048)
  .refine((text) => /^https?:\/\//.test(text) && URL.canParse(text), { message: 'must be an http(s) URL' });

const providerKeySchema = z.object({
  id: z.string(),
  provider: z.string(),
  label: z.string(),
  lastFour: z.string(),
  baseUrl: z.string().nullable(),
  isDefault: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
  rotatedAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  lastTest: z
    .object({
      at: z.date(),
      ok: z.boolean(),
      errorCode: z.string().nullable(),
      latencyMs: z.number().nullable(),
    })
    .nullable(),
});

const testResultSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  statusCode: z.number().nullable(),
  errorCode: z.string().nullable(),
  message: z.string().nullable(),
});

const keyParams = workspaceIdParams.extend({ providerKeyId: z.string().min(1).max(64) });

/** Provider keys: the secret goes in, never out — answers carry only its last four characters. */
export function providerKeyRoutes(
  dependencies: Pick<Services, 'agents' | 'providerKeys'>,
): FastifyPluginAsyncZod {
  const { agents, providerKeys } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/provider-keys',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['provider keys'],
          summary: 'List provider keys (never the secret)',
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: listOf(providerKeySchema), ...errorResponses },
        },
      },
      async (request) => ({ items: await providerKeys.list(accessOf(request)), nextCursor: null }),
    );

    app.post(
      '/api/workspaces/:workspaceId/provider-keys',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['provider keys'],
          summary: 'Add a provider key (base URL required for openai-compatible)',
          security: authenticated,
          params: workspaceIdParams,
          body: z
            .object({
              provider: providerSchema,
              label: nameSchema,
              apiKey: secretSchema,
              baseUrl: baseUrlSchema.nullable().optional(),
              isDefault: z.boolean().optional(),
            })
            .strict(),
          response: { 201: providerKeySchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await providerKeys.create(accessOf(request), actorOf(request), request.body)),
    );

    app.post(
      '/api/workspaces/:workspaceId/provider-keys/test',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['provider keys'],
          summary: 'Test a key before saving it (lists the models: no tokens spent)',
          security: authenticated,
          params: workspaceIdParams,
          body: z
            .object({
              provider: providerSchema,
              apiKey: secretSchema,
              baseUrl: baseUrlSchema.nullable().optional(),
            })
            .strict(),
          response: { 200: testResultSchema, ...errorResponses },
        },
      },
      async (request) => providerKeys.testUnsaved(accessOf(request), actorOf(request), request.body),
    );

    app.put(
      '/api/workspaces/:workspaceId/provider-keys/:providerKeyId',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['provider keys'],
          summary: 'Rename, replace the secret, change the base URL (needs the secret again) or make default',
          security: authenticated,
          params: keyParams,
          body: z
            .object({
              label: nameSchema.optional(),
              apiKey: secretSchema.optional(),
              baseUrl: baseUrlSchema.nullable().optional(),
              isDefault: z.boolean().optional(),
            })
            .strict(),
          response: { 200: providerKeySchema, ...errorResponses },
        },
      },
      async (request) =>
        providerKeys.update(accessOf(request), actorOf(request), request.params.providerKeyId, request.body),
    );

    app.delete(
      '/api/workspaces/:workspaceId/provider-keys/:providerKeyId',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['provider keys'],
          summary: 'Delete a provider key',
          security: authenticated,
          params: keyParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await providerKeys.delete(accessOf(request), actorOf(request), request.params.providerKeyId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/provider-keys/:providerKeyId/agents',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['provider keys'],
          summary:
            'Agents whose draft or published version uses this key (as its key or a fallback): what a delete would stop',
          security: authenticated,
          params: keyParams,
          response: {
            200: listOf(z.object({ id: z.string(), slug: z.string(), name: z.string() })),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        // An unknown or foreign key is a 404, as on every other route of a key.
        await providerKeys.get(accessOf(request), request.params.providerKeyId);
        return {
          items: await agents.listUsingProviderKey(accessOf(request), request.params.providerKeyId),
          nextCursor: null,
        };
      },
    );

    app.post(
      '/api/workspaces/:workspaceId/provider-keys/:providerKeyId/test',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['provider keys'],
          summary: 'Test a stored key and record the result on it',
          security: authenticated,
          params: keyParams,
          response: { 200: testResultSchema, ...errorResponses },
        },
      },
      async (request) => providerKeys.test(accessOf(request), actorOf(request), request.params.providerKeyId),
    );
  };
}
