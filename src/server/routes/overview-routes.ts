import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WorkspaceOverviewService } from '../../services/overview/workspace-overview-service.ts';
import { accessOf } from '../authentication.ts';
import { authenticated, errorResponses, workspaceIdParams } from '../schemas.ts';

const overviewSchema = z.object({
  agents: z.number().int(),
  providerKeys: z.number().int(),
  workflows: z.number().int(),
  members: z.number().int(),
  executions: z.number().int(),
  runsSince: z.number().int(),
  failedRunsSince: z.number().int(),
  runsSinceAt: z.date(),
  pendingApprovals: z.number().int(),
  spend: z.object({
    periodStart: z.date(),
    spentUsd: z.number(),
    reservedUsd: z.number(),
    limitUsd: z.number().nullable(),
  }),
});

/** The home dashboard's counts: read-only, for anyone who may read the workspace. */
export function overviewRoutes(dependencies: { overview: WorkspaceOverviewService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/overview',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['workspaces'],
          summary:
            "Counts for the home dashboard: agents, provider keys, workflows, members, executions, runs in the last 7 days, pending approvals, this month's spend against the budget",
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: overviewSchema, ...errorResponses },
        },
      },
      async (request) => dependencies.overview.overview(accessOf(request).workspaceId),
    );
  };
}
