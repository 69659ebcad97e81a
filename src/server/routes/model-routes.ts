import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listCatalogModels } from '../../llm/index.ts';
import { authenticated, errorResponses, listOf } from '../schemas.ts';

const catalogModelSchema = z.object({
  id: z.string(),
  name: z.string(),
  contextWindow: z.number().nullable(),
  inputPerMillionUsd: z.number().nullable(),
  outputPerMillionUsd: z.number().nullable(),
  cachedInputPerMillionUsd: z.number().nullable(),
  deprecated: z.boolean(),
});

/** The price catalog's models, for model pickers; the same catalog prices every execution. */
export function modelRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/models',
      {
        schema: {
          tags: ['models'],
          summary:
            'Catalog models of a provider with list prices (USD per million tokens) and context windows',
          security: authenticated,
          querystring: z.object({ provider: z.enum(['openai', 'anthropic']) }).strict(),
          response: { 200: listOf(catalogModelSchema), ...errorResponses },
        },
      },
      async (request) => ({ items: listCatalogModels(request.query.provider), nextCursor: null }),
    );
  };
}
