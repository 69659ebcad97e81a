import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RunService } from '../../services/workflows/run-service.ts';
import type { WorkflowService } from '../../services/workflows/workflow-service.ts';
import type { createRateLimitCheck } from '../rate-limit.ts';
import { errorResponses, errorSchema } from '../schemas.ts';

/**
 * `POST /hooks/workflows/{workflowId}/{secret}`: the secret URL is the credential, so the route is
 * public; the body is the run input. A wrong secret, an unknown workflow and a workflow without
 * webhooks all answer the same 404. Limited at the workspace's execution rate like any run start.
 */
export function workflowHookRoutes(dependencies: {
  workflows: WorkflowService;
  runs: RunService;
  checkRateLimit: ReturnType<typeof createRateLimitCheck>;
}): FastifyPluginAsyncZod {
  const { workflows, runs, checkRateLimit } = dependencies;
  return async (app) => {
    app.post(
      '/hooks/workflows/:workflowId/:secret',
      {
        config: { public: true },
        schema: {
          tags: ['runs'],
          summary: 'Start a run from a webhook: the body is the run input (202 { runId })',
          params: z.object({ workflowId: z.string().min(1).max(64), secret: z.string().min(1).max(200) }),
          body: z.unknown(),
          response: {
            202: z.object({ runId: z.string() }),
            ...errorResponses,
            422: errorSchema,
            503: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const found = await workflows.findForWebhook(request.params.workflowId, request.params.secret);
        await checkRateLimit(reply, found.workflow.workspaceId, 'execution', null);
        const run = await runs.startTriggered(found, request.body ?? {}, 'webhook');
        return reply.status(202).send({ runId: run.id });
      },
    );
  };
}
