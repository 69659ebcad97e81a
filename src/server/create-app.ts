import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { newId } from '../core/ids.ts';
import type { Store } from '../store/database.ts';
import { createSilentLogger, type Logger } from '../telemetry/logger.ts';
import { createErrorHandler } from './error-handler.ts';
import { healthRoutes } from './routes/health-routes.ts';

export interface AppDependencies {
  store: Store;
  logger?: Logger;
  version: string;
  publicUrl: string;
  bodyLimitBytes?: number;
}

/** The app with the zod type provider, so route files get typed requests from their schemas. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const requestIdPattern = /^[\w.:-]{1,128}$/;

/** Builds the HTTP application; it does not listen (see start-server.ts) so tests can `inject()`. */
export async function createApp(dependencies: AppDependencies): Promise<App> {
  const bodyLimitBytes = dependencies.bodyLimitBytes ?? 1024 * 1024;
  const app = Fastify({
    loggerInstance: (dependencies.logger ?? createSilentLogger()) as FastifyBaseLogger,
    bodyLimit: bodyLimitBytes,
    // Accept a caller's request id when it is safe to echo; otherwise make one.
    requestIdHeader: false,
    genReqId: (request) => {
      const offered = request.headers['x-request-id'];
      return typeof offered === 'string' && requestIdPattern.test(offered) ? offered : newId();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler({ bodyLimitBytes }));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Flightdeck API',
        version: dependencies.version,
        description: 'Build, test, run and observe LLM agents and workflows.',
      },
      servers: [{ url: dependencies.publicUrl }],
      components: {
        securitySchemes: {
          bearerToken: { type: 'http', scheme: 'bearer', description: 'A workspace API token (fd_…)' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'flightdeck_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes({ store: dependencies.store }));

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: {
        code: 'route_not_found',
        message: `No route ${request.method} ${request.url.split('?')[0]}. See /api/docs for the API reference.`,
        details: null,
      },
    });
  });

  return app;
}
