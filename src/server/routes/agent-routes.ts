import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { providerKinds } from '../../llm/index.ts';
import { agentFields } from '../../services/agents/agent-definition.ts';
import { labelPattern } from '../../services/agents/agent-version-selector.ts';
import type { Services } from '../../services/create-services.ts';
import { accessOf, actorOf } from '../authentication.ts';
import { authenticated, errorResponses, listOf, workspaceIdParams } from '../schemas.ts';

const providerSchema = z.enum(providerKinds as ['openai', 'anthropic', 'openai-compatible', 'mock']);
const jsonSchemaObject = z.record(z.string(), z.unknown());
const slugSchema = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
  message: 'lower-case letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen',
});
const keyIdSchema = z.string().min(1).max(64);

const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(10),
    baseDelayMs: z.number().int().min(0).max(60_000),
    maxDelayMs: z.number().int().min(0).max(300_000),
  })
  .strict();

const fallbackSchema = z
  .object({
    provider: providerSchema,
    model: z.string().trim().min(1).max(200),
    providerKeyId: keyIdSchema.nullish(),
  })
  .strict();

/**
 * One tool entry. The shape is documented here and checked in detail, with a stable code per
 * problem, by services/tools/check-tool-entries.ts (names, schemas, URLs, headers).
 */
const toolEntrySchema = z
  .object({
    kind: z.enum(['http', 'agent', 'mcp']),
    name: z.string().max(64),
    description: z.string().max(2_000).optional(),
    parameters: jsonSchemaObject.optional(),
    resultSchema: jsonSchemaObject.nullish(),
    approval: z
      .union([
        z.enum(['required', 'never']),
        z.object({
          path: z.string().max(200),
          below: z.number().optional(),
          above: z.number().optional(),
          equals: z.unknown().optional(),
        }),
      ])
      .optional(),
    timeoutMs: z.number().int().min(100).max(300_000).optional(),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    url: z.string().max(4_000).optional(),
    headers: z.record(z.string().max(200), z.string().max(8_000)).optional(),
    body: z.unknown().optional(),
    agent: z.string().max(64).optional(),
  })
  .passthrough();

/** Fields a client may set; everything else (id, version, timestamps) is the server's. */
const agentBodyFields = {
  slug: slugSchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2_000),
  tags: z.array(z.string().trim().min(1).max(50)).max(20),
  provider: providerSchema,
  model: z.string().trim().min(1).max(200),
  providerKeyId: keyIdSchema.nullable(),
  systemPrompt: z.string().max(100_000),
  promptTemplate: z.string().max(100_000),
  temperature: z.number().min(0).max(2).nullable(),
  maxTokens: z.number().int().min(1).max(1_000_000).nullable(),
  inputSchema: jsonSchemaObject.nullable(),
  outputSchema: jsonSchemaObject.nullable(),
  retry: retrySchema.partial(),
  fallbacks: z.array(fallbackSchema).max(5),
  timeoutMs: z.number().int().min(1_000).max(600_000),
  approval: z.enum(['required', 'optional']),
  artifactType: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,63}$/, { message: 'lower-case letters, digits and _, starting with a letter' })
    .nullable(),
  tools: z.array(toolEntrySchema).max(32),
  maxToolCalls: z.number().int().min(1).max(100),
};

const createBody = z
  .object({
    ...agentBodyFields,
    slug: agentBodyFields.slug.optional(),
    description: agentBodyFields.description.optional(),
    tags: agentBodyFields.tags.optional(),
    providerKeyId: agentBodyFields.providerKeyId.optional(),
    systemPrompt: agentBodyFields.systemPrompt.optional(),
    promptTemplate: agentBodyFields.promptTemplate.optional(),
    temperature: agentBodyFields.temperature.optional(),
    maxTokens: agentBodyFields.maxTokens.optional(),
    inputSchema: agentBodyFields.inputSchema.optional(),
    outputSchema: agentBodyFields.outputSchema.optional(),
    retry: agentBodyFields.retry.optional(),
    fallbacks: agentBodyFields.fallbacks.optional(),
    timeoutMs: agentBodyFields.timeoutMs.optional(),
    approval: agentBodyFields.approval.optional(),
    artifactType: agentBodyFields.artifactType.optional(),
    tools: agentBodyFields.tools.optional(),
    maxToolCalls: agentBodyFields.maxToolCalls.optional(),
    /** Default true: version 1 is what callers run. `false` keeps it a draft until published. */
    publish: z.boolean().optional(),
  })
  .strict();
const patchBody = z
  .object(agentBodyFields)
  .partial()
  .extend({
    /** Publish the resulting version in the same request (default false: a draft). */
    publish: z.boolean().optional(),
  })
  .strict();
const versionNumberSchema = z.number().int().min(1).max(1_000_000);
const labelParams = z.object({
  workspaceId: z.string().min(1).max(64),
  agentId: z.string().min(1).max(64),
  label: z.string().regex(labelPattern, {
    message: '1 to 40 lowercase letters, digits, "-" or "_", starting with a letter (e.g. "staging")',
  }),
});

const definitionSchema = z.object({
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  provider: z.string(),
  model: z.string(),
  providerKeyId: z.string().nullable(),
  systemPrompt: z.string(),
  promptTemplate: z.string(),
  temperature: z.number().nullable(),
  maxTokens: z.number().nullable(),
  inputSchema: jsonSchemaObject.nullable(),
  outputSchema: jsonSchemaObject.nullable(),
  retry: z.object({ maxAttempts: z.number(), baseDelayMs: z.number(), maxDelayMs: z.number() }),
  fallbacks: z.array(
    z.object({ provider: z.string(), model: z.string(), providerKeyId: z.string().nullable() }),
  ),
  timeoutMs: z.number(),
  approval: z.enum(['required', 'optional']),
  artifactType: z.string().nullable(),
  tools: z.array(z.object({ kind: z.string(), name: z.string() }).passthrough()),
  maxToolCalls: z.number().int(),
});

export const agentSchema = definitionSchema.extend({
  id: z.string(),
  version: z.number().int(),
  versionId: z.string(),
  publishedVersion: z.number().int().nullable(),
  publishedVersionId: z.string().nullable(),
  labels: z.record(z.string(), z.number().int()),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const versionSchema = z.object({
  id: z.string(),
  agentId: z.string(),
  number: z.number().int(),
  changedFields: z.array(z.enum(agentFields as [string, ...string[]])),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  definition: definitionSchema,
});

export const agentParams = workspaceIdParams.extend({ agentId: z.string().min(1).max(64) });
const limitSchema = z.coerce.number().int().min(1).max(200).default(50);

/** Agents: create, list, read, change (each change is a new version), delete, and list versions. */
export function agentRoutes(dependencies: Pick<Services, 'agents' | 'toolTests'>): FastifyPluginAsyncZod {
  const { agents, toolTests } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/agents',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['agents'],
          summary: 'List agents, newest first (search in name or slug, filter by tag)',
          security: authenticated,
          params: workspaceIdParams,
          querystring: z.object({
            limit: limitSchema,
            cursor: z.string().max(200).optional(),
            q: z.string().trim().min(1).max(200).optional(),
            tag: z.string().trim().min(1).max(50).optional(),
          }),
          response: { 200: listOf(agentSchema), ...errorResponses },
        },
      },
      async (request) =>
        agents.list(accessOf(request), {
          limit: request.query.limit,
          cursor: request.query.cursor,
          search: request.query.q,
          tag: request.query.tag,
        }),
    );

    app.post(
      '/api/workspaces/:workspaceId/agents',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['agents'],
          summary: 'Create an agent (version 1); schemas are checked as JSON Schema 2020-12',
          security: authenticated,
          params: workspaceIdParams,
          body: createBody,
          response: { 201: agentSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { publish, ...input } = request.body;
        return reply
          .status(201)
          .send(await agents.create(accessOf(request), input, { publish, actor: actorOf(request) }));
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/agents/:agentId',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['agents'],
          summary: 'Read an agent by id or slug, as of its current version',
          security: authenticated,
          params: agentParams,
          response: { 200: agentSchema, ...errorResponses },
        },
      },
      async (request) => agents.get(accessOf(request), request.params.agentId),
    );

    app.patch(
      '/api/workspaces/:workspaceId/agents/:agentId',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['agents'],
          summary:
            'Change an agent; any real change makes a new immutable draft version, which callers run once published',
          security: authenticated,
          params: agentParams,
          body: patchBody,
          response: { 200: agentSchema, ...errorResponses },
        },
      },
      async (request) => {
        const { publish, ...patch } = request.body;
        return agents.update(accessOf(request), request.params.agentId, patch, {
          publish,
          actor: actorOf(request),
        });
      },
    );

    app.delete(
      '/api/workspaces/:workspaceId/agents/:agentId',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['agents'],
          summary: 'Delete an agent; its executions and versions stay in the history and its slug is freed',
          security: authenticated,
          params: agentParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await agents.remove(accessOf(request), request.params.agentId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/agents/:agentId/versions',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['agents'],
          summary: "List an agent's versions, newest first, with the fields each changed",
          security: authenticated,
          params: agentParams,
          querystring: z.object({ limit: limitSchema, cursor: z.string().max(20).optional() }),
          response: { 200: listOf(versionSchema), ...errorResponses },
        },
      },
      async (request) =>
        agents.listVersions(accessOf(request), request.params.agentId, {
          limit: request.query.limit,
          cursor: request.query.cursor,
        }),
    );

    app.post(
      '/api/workspaces/:workspaceId/agents/:agentId/publish',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['agents'],
          summary:
            'Publish a version (the newest by default): API, workflow and OpenAI-compatible callers that name no version run it',
          security: authenticated,
          params: agentParams,
          body: z.object({ version: versionNumberSchema.optional() }).strict().default({}),
          response: { 200: agentSchema, ...errorResponses },
        },
      },
      async (request) =>
        agents.publish(accessOf(request), actorOf(request), request.params.agentId, request.body),
    );

    app.post(
      '/api/workspaces/:workspaceId/agents/:agentId/rollback',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['agents'],
          summary: 'Publish an earlier version than the published one (audited as a rollback)',
          security: authenticated,
          params: agentParams,
          body: z.object({ version: versionNumberSchema }).strict(),
          response: { 200: agentSchema, ...errorResponses },
        },
      },
      async (request) =>
        agents.rollback(accessOf(request), actorOf(request), request.params.agentId, request.body),
    );

    app.post(
      '/api/workspaces/:workspaceId/agents/:agentId/versions/:version/restore',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['agents'],
          summary: "Make an older version's configuration the newest draft again",
          security: authenticated,
          params: agentParams.extend({ version: z.coerce.number().int().min(1).max(1_000_000) }),
          response: { 200: agentSchema, ...errorResponses },
        },
      },
      async (request) => agents.restore(accessOf(request), request.params.agentId, request.params.version),
    );

    app.put(
      '/api/workspaces/:workspaceId/agents/:agentId/labels/:label',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['agents'],
          summary:
            'Point a label (e.g. staging) at a version; callers target it with versionLabel or agent/<slug>@<label>. "production" publishes',
          security: authenticated,
          params: labelParams,
          body: z.object({ version: versionNumberSchema }).strict(),
          response: { 200: agentSchema, ...errorResponses },
        },
      },
      async (request) =>
        agents.setLabel(
          accessOf(request),
          actorOf(request),
          request.params.agentId,
          request.params.label,
          request.body.version,
        ),
    );

    app.delete(
      '/api/workspaces/:workspaceId/agents/:agentId/labels/:label',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['agents'],
          summary: 'Remove a label',
          security: authenticated,
          params: labelParams,
          response: { 200: agentSchema, ...errorResponses },
        },
      },
      async (request) =>
        agents.removeLabel(accessOf(request), actorOf(request), request.params.agentId, request.params.label),
    );

    app.post(
      '/api/workspaces/:workspaceId/agents/:agentId/tools/:toolName/test',
      {
        config: { permission: 'run_agents' },
        schema: {
          tags: ['agents'],
          summary:
            "Call one of the agent's tools (newest version) with typed arguments, as the tool loop would: no model, no execution record",
          security: authenticated,
          params: agentParams.extend({ toolName: z.string().min(1).max(64) }),
          body: z
            .object({
              arguments: z.record(z.string(), z.unknown()).default({}),
              mode: z.enum(['live', 'mock']).default('live'),
            })
            .strict(),
          response: {
            200: z.object({
              tool: z.string(),
              kind: z.string(),
              arguments: z.unknown(),
              status: z.enum(['succeeded', 'failed']),
              result: z.unknown(),
              error: z.object({ code: z.string(), message: z.string() }).nullable(),
              latencyMs: z.number(),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) =>
        toolTests.test(accessOf(request), request.params.agentId, request.params.toolName, request.body),
    );
  };
}
