import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ContextDocumentService } from '../../services/workflows/context-document-service.ts';
import { accessOf } from '../authentication.ts';
import { authenticated, errorResponses, workspaceIdParams } from '../schemas.ts';

const documentParams = workspaceIdParams.extend({ documentId: z.string().min(1).max(100) });
const contentSchema = z.string().max(500_000);
const documentSchema = z.object({
  id: z.string(),
  name: z.string(),
  format: z.enum(['text', 'markdown']),
  version: z.number().int(),
  content: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

/** The context library: documents runs hand their agents as `{{ context.<name> }}`. */
export function contextDocumentRoutes(dependencies: {
  contextDocuments: ContextDocumentService;
}): FastifyPluginAsyncZod {
  const { contextDocuments } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/context-documents',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['context'],
          summary: 'Context documents, by name, each with its current text',
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: z.object({ items: z.array(documentSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await contextDocuments.list(accessOf(request)) }),
    );
    app.post(
      '/api/workspaces/:workspaceId/context-documents',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['context'],
          summary: 'Add a context document (version 1)',
          security: authenticated,
          params: workspaceIdParams,
          body: z
            .object({
              name: z.string().min(1).max(64),
              content: contentSchema,
              format: z.enum(['text', 'markdown']).optional(),
            })
            .strict(),
          response: { 201: documentSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await contextDocuments.create(accessOf(request), request.body)),
    );
    app.get(
      '/api/workspaces/:workspaceId/context-documents/:documentId',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['context'],
          summary: 'One context document (by id or name) with its versions',
          security: authenticated,
          params: documentParams,
          response: {
            200: documentSchema.extend({
              versions: z.array(
                z.object({
                  version: z.number().int(),
                  characters: z.number().int(),
                  createdBy: z.string().nullable(),
                  createdAt: z.date(),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => contextDocuments.get(accessOf(request), request.params.documentId),
    );
    app.put(
      '/api/workspaces/:workspaceId/context-documents/:documentId',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['context'],
          summary: 'Save a new version of the text (runs already started keep the version they pinned)',
          security: authenticated,
          params: documentParams,
          body: z.object({ content: contentSchema }).strict(),
          response: { 200: documentSchema, ...errorResponses },
        },
      },
      async (request) => contextDocuments.update(accessOf(request), request.params.documentId, request.body),
    );
    app.delete(
      '/api/workspaces/:workspaceId/context-documents/:documentId',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['context'],
          summary: 'Delete a context document (runs that pinned it keep reading their version)',
          security: authenticated,
          params: documentParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await contextDocuments.remove(accessOf(request), request.params.documentId);
        return reply.status(204).send(null);
      },
    );
  };
}
