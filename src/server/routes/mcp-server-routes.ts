import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services/create-services.ts';
import { maxMcpHeaders, maxMcpHeaderValueLength } from '../../services/tools/mcp/mcp-server-headers.ts';
import { accessOf, actorOf } from '../authentication.ts';
import { authenticated, errorResponses, listOf, workspaceIdParams } from '../schemas.ts';

// Names, header names and values are checked by the service, whose errors name the field to fix.
const urlSchema = z
  .string()
  .trim()
  .max(2048)
  .refine((text) => /^https?:\/\//.test(text) && URL.canParse(text), { message: 'must be an http(s) URL' });
const headersSchema = z
  .record(z.string().max(128), z.string().max(maxMcpHeaderValueLength))
  .refine((headers) => Object.keys(headers).length <= maxMcpHeaders, {
    message: `must have at most ${maxMcpHeaders} headers`,
  });

const serverSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  headers: z
    .record(z.string(), z.string())
    .describe('Header names with masked values (at most the last four characters)'),
  toolCount: z.number().nullable(),
  toolsListedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const jsonObject = z.record(z.string(), z.unknown());
const toolSchema = z.object({
  name: z.string(),
  title: z.string().nullable(),
  description: z.string().nullable(),
  inputSchema: jsonObject,
  outputSchema: jsonObject.nullable(),
});

const serverParams = workspaceIdParams.extend({ mcpServerId: z.string().min(1).max(64) });

/** MCP servers a workspace's agents use as tools: header values go in, never out. */
export function mcpServerRoutes(dependencies: Pick<Services, 'mcpServers'>): FastifyPluginAsyncZod {
  const { mcpServers } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/mcp-servers',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['mcp servers'],
          summary: 'List MCP servers (header values masked)',
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: listOf(serverSchema), ...errorResponses },
        },
      },
      async (request) => ({ items: await mcpServers.list(accessOf(request)), nextCursor: null }),
    );

    app.post(
      '/api/workspaces/:workspaceId/mcp-servers',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['mcp servers'],
          summary: 'Register an MCP server (streamable HTTP URL, optional headers such as Authorization)',
          security: authenticated,
          params: workspaceIdParams,
          body: z
            .object({ name: z.string().max(200), url: urlSchema, headers: headersSchema.optional() })
            .strict(),
          response: { 201: serverSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await mcpServers.create(accessOf(request), actorOf(request), request.body)),
    );

    app.get(
      '/api/workspaces/:workspaceId/mcp-servers/:mcpServerId',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['mcp servers'],
          summary: 'One MCP server (header values masked)',
          security: authenticated,
          params: serverParams,
          response: { 200: serverSchema, ...errorResponses },
        },
      },
      async (request) => mcpServers.get(accessOf(request), request.params.mcpServerId),
    );

    app.patch(
      '/api/workspaces/:workspaceId/mcp-servers/:mcpServerId',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['mcp servers'],
          summary: 'Rename, move (with the headers again) or replace the headers of an MCP server',
          security: authenticated,
          params: serverParams,
          body: z
            .object({
              name: z.string().max(200).optional(),
              url: urlSchema.optional(),
              headers: headersSchema.nullable().optional(),
            })
            .strict(),
          response: { 200: serverSchema, ...errorResponses },
        },
      },
      async (request) =>
        mcpServers.update(accessOf(request), actorOf(request), request.params.mcpServerId, request.body),
    );

    app.delete(
      '/api/workspaces/:workspaceId/mcp-servers/:mcpServerId',
      {
        config: { permission: 'manage_keys' },
        schema: {
          tags: ['mcp servers'],
          summary: 'Delete an MCP server (agent tools that use it then fail with mcp_server_not_found)',
          security: authenticated,
          params: serverParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await mcpServers.delete(accessOf(request), actorOf(request), request.params.mcpServerId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/mcp-servers/:mcpServerId/tools',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['mcp servers'],
          summary: "The server's tools, cached for a few minutes; ?refresh=true asks the server again",
          security: authenticated,
          params: serverParams,
          querystring: z.object({ refresh: z.enum(['true', 'false']).optional() }).strict(),
          response: {
            200: listOf(toolSchema).extend({ listedAt: z.date(), cached: z.boolean() }),
            ...errorResponses,
            502: errorResponses[400],
            504: errorResponses[400],
          },
        },
      },
      async (request) => {
        const list = await mcpServers.listTools(accessOf(request), request.params.mcpServerId, {
          refresh: request.query.refresh === 'true',
        });
        return { ...list, nextCursor: null };
      },
    );

    app.post(
      '/api/workspaces/:workspaceId/mcp-servers/:mcpServerId/tools/call',
      {
        config: { permission: 'run_agents' },
        schema: {
          tags: ['mcp servers'],
          summary: 'Call one tool with sample arguments (checked against its input schema), to test it',
          security: authenticated,
          params: serverParams,
          body: z.object({ tool: z.string().min(1).max(200), arguments: jsonObject.default({}) }).strict(),
          response: {
            200: z.object({
              ok: z.boolean(),
              result: z.unknown(),
              error: z.string().nullable(),
              latencyMs: z.number(),
            }),
            ...errorResponses,
            502: errorResponses[400],
            504: errorResponses[400],
          },
        },
      },
      async (request) =>
        mcpServers.testTool(accessOf(request), actorOf(request), request.params.mcpServerId, {
          tool: request.body.tool,
          arguments: request.body.arguments,
        }),
    );
  };
}
