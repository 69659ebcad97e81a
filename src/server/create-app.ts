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
import type { Permission } from '../security/permissions.ts';
import type { Services } from '../services/create-services.ts';
import { createAlertmanagerReceiver } from '../services/guardrails/alertmanager-receiver.ts';
import type { Store } from '../store/database.ts';
import { createSilentLogger, type Logger } from '../telemetry/logger.ts';
import { traceHttp } from '../telemetry/trace-http.ts';
import { createAuthenticationHook } from './authentication.ts';
import { checkRequestAddress, checkRequestBody } from './check-request-text.ts';
import { createErrorHandler } from './error-handler.ts';
import { type OverloadLimits, registerOverloadProtection } from './overload-protection.ts';
import { createRateLimitCheck } from './rate-limit.ts';
import { agentRoutes } from './routes/agent-routes.ts';
import { alertmanagerRoutes } from './routes/alertmanager-routes.ts';
import { approvalRoutes } from './routes/approval-routes.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { consoleRoutes } from './routes/console-routes.ts';
import { contextDocumentRoutes } from './routes/context-document-routes.ts';
import { executionRoutes } from './routes/execution-routes.ts';
import { guardrailRoutes } from './routes/guardrail-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { invitationRoutes } from './routes/invitation-routes.ts';
import { mcpServerRoutes } from './routes/mcp-server-routes.ts';
import { memberRoutes } from './routes/member-routes.ts';
import { metricsRoutes } from './routes/metrics-routes.ts';
import { modelRoutes } from './routes/model-routes.ts';
import { openAiRoutes } from './routes/openai-routes.ts';
import { overviewRoutes } from './routes/overview-routes.ts';
import { providerKeyRoutes } from './routes/provider-key-routes.ts';
import { runRoutes } from './routes/run-routes.ts';
import { secretRoutes } from './routes/secret-routes.ts';
import { sessionRoutes } from './routes/session-routes.ts';
import { tokenRoutes } from './routes/token-routes.ts';
import { workflowHookRoutes } from './routes/workflow-hook-routes.ts';
import { workflowRoutes } from './routes/workflow-routes.ts';
import { workspaceRoutes } from './routes/workspace-routes.ts';

export interface AppDependencies {
  store: Store;
  /** Every use case, wired over `store` (see createServices). */
  services: Services;
  logger?: Logger;
  version: string;
  publicUrl: string;
  bodyLimitBytes?: number;
  /** The built web console (default web/dist); without a build `/` explains how to make one. */
  consoleDirectory?: string;
  /** FLIGHTDECK_METRICS_TOKEN: `GET /metrics` asks for it as a bearer token when set. */
  metricsToken?: string;
  /** FLIGHTDECK_ALERTMANAGER_SECRET: the Alertmanager receiver is off without it. */
  alertmanagerSecret?: string;
  /** When the node answers 503 `overloaded` (FLIGHTDECK_OVERLOAD_*); off when absent, as in tests. */
  overload?: OverloadLimits;
  /** FLIGHTDECK_TRUSTED_PROXIES: proxies whose X-Forwarded-For names the client (request.ip). */
  trustedProxies?: string;
}

/** The app with the zod type provider, so route files get typed requests from their schemas. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** One registered route, as the authorization matrix and the docs see it. */
export interface RouteEntry {
  method: string;
  url: string;
  permission: Permission | undefined;
  public: boolean;
  /** Whether the route's schema declares a request body. */
  hasBody: boolean;
}

const routeTables = new WeakMap<object, RouteEntry[]>();

/** Every route the app registered (HEAD twins excluded). */
export function routeTableOf(app: App): RouteEntry[] {
  return routeTables.get(app) ?? [];
}

const requestIdPattern = /^[\w.:-]{1,128}$/;

/** Builds the HTTP application; it does not listen (see start-server.ts) so tests can `inject()`. */
export async function createApp(dependencies: AppDependencies): Promise<App> {
  const bodyLimitBytes = dependencies.bodyLimitBytes ?? 1024 * 1024;
  const handleError = createErrorHandler({ bodyLimitBytes });
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
    // Login throttling and rate limits key on request.ip: only listed proxies may set it.
    trustProxy: dependencies.trustedProxies ? dependencies.trustedProxies : false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    // Router errors (a broken percent-encoding, an overlong id) get the same error body as the rest.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
  }).withTypeProvider<ZodTypeProvider>();

  // First: the HTTP span must wrap every hook and route registered after it (only while tracing).
  await traceHttp(app);

  const routeTable: RouteEntry[] = [];
  routeTables.set(app, routeTable);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const config = (route.config ?? {}) as { permission?: Permission; public?: boolean };
    if (route.url.includes(':workspaceId') && !config.permission) {
      // Fail at start, not in production: every workspace route must say what it needs.
      throw new Error(`route ${methods.join(',')} ${route.url} must declare config.permission`);
    }
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routeTable.push({
        method,
        url: route.url,
        permission: config.permission,
        public: config.public === true,
        hasBody: route.schema?.body !== undefined,
      });
    }
  });

  // First of the onRequest hooks: a node under pressure refuses before authenticating.
  if (dependencies.overload) await registerOverloadProtection(app, dependencies.overload);

  const services = dependencies.services;
  app.decorateRequest('principal', null);
  app.decorateRequest('workspaceAccess', null);
  // Text the database cannot store is refused before anything reads it (authentication included).
  app.addHook('onRequest', checkRequestAddress);
  app.addHook('onRequest', createAuthenticationHook(services));
  app.addHook('preValidation', checkRequestBody);

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  services.telemetry.metrics.setVersion(dependencies.version);
  app.addHook('onResponse', services.telemetry.recordHttpRequest);

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

  app.get('/api/openapi.json', { schema: { hide: true }, config: { public: true } }, async () =>
    app.swagger(),
  );
  await app.register(healthRoutes({ store: dependencies.store }));
  await app.register(metricsRoutes({ telemetry: services.telemetry, token: dependencies.metricsToken }));
  await app.register(
    alertmanagerRoutes({
      receiver: createAlertmanagerReceiver({
        alerts: services.alerts,
        labels: services.telemetry.labels,
        secret: dependencies.alertmanagerSecret,
      }),
    }),
  );
  const secureCookies = dependencies.publicUrl.startsWith('https://');
  const checkRateLimit = createRateLimitCheck(services);
  // Each plugin gets only the services it calls (test/server/route-dependencies.test.ts holds them to it).
  await app.register(
    sessionRoutes({
      setup: services.setup,
      authentication: services.authentication,
      workspaces: services.workspaces,
      secureCookies,
    }),
  );
  await app.register(workspaceRoutes({ workspaces: services.workspaces }));
  await app.register(memberRoutes({ members: services.members }));
  await app.register(
    invitationRoutes({
      accountLinks: services.accountLinks,
      audit: services.audit,
      invitations: services.invitations,
    }),
  );
  await app.register(tokenRoutes({ apiTokens: services.apiTokens }));
  await app.register(providerKeyRoutes({ agents: services.agents, providerKeys: services.providerKeys }));
  await app.register(secretRoutes({ secrets: services.secrets }));
  await app.register(mcpServerRoutes({ mcpServers: services.mcpServers }));
  await app.register(auditRoutes({ audit: services.audit }));
  await app.register(
    guardrailRoutes({
      budgets: services.budgets,
      agentLimits: services.agentLimits,
      notifications: services.notifications,
      webhooks: services.webhooks,
    }),
  );
  await app.register(modelRoutes());
  await app.register(agentRoutes({ agents: services.agents, toolTests: services.toolTests }));
  await app.register(
    executionRoutes({ executions: services.executions, executionQueries: services.executionQueries }),
  );
  await app.register(
    openAiRoutes({
      authentication: services.authentication,
      openaiCompatible: services.openaiCompatible,
      checkRateLimit,
      bodyLimitBytes,
    }),
  );
  await app.register(workflowRoutes({ workflows: services.workflows, audit: services.audit }));
  await app.register(runRoutes({ runs: services.runs, signals: services.runSignals }));
  await app.register(approvalRoutes({ approvals: services.approvals, runs: services.runs }));
  await app.register(contextDocumentRoutes({ contextDocuments: services.contextDocuments }));
  await app.register(overviewRoutes({ overview: services.overview }));
  await app.register(
    workflowHookRoutes({
      workflows: services.workflows,
      runs: services.runs,
      checkRateLimit,
    }),
  );
  const webConsole = consoleRoutes({
    directory: dependencies.consoleDirectory,
    logger: dependencies.logger ?? createSilentLogger(),
  });
  await app.register(webConsole.plugin);

  app.setNotFoundHandler((request, reply) => {
    // Browser navigations to console paths (/w/…/agents) get the single-page app; /api stays JSON.
    if (webConsole.fallback(request, reply)) return;
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
