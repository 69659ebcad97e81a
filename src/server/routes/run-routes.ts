import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WorkspaceAccess } from '../../services/identity/principal.ts';
import type { RunService } from '../../services/workflows/run-service.ts';
import type { RunSignals } from '../../services/workflows/run-signals.ts';
import { runStatuses, runTriggers } from '../../services/workflows/run-view.ts';
import { accessOf } from '../authentication.ts';
import {
  authenticated,
  errorResponses,
  errorSchema,
  listOf,
  queryDateSchema,
  workspaceIdParams,
} from '../schemas.ts';
import { workflowParams } from './workflow-routes.ts';
import { runSchema, startRunBody } from './workflow-schemas.ts';

const runParams = workspaceIdParams.extend({ runId: z.string().min(1).max(64) });
/** How often a live view looks for events written by another node (this node's wake it at once). */
const eventPollMs = 500;

/** Workflow runs: start (202), list, read, live events over SSE, cancel, retry. */
export function runRoutes(dependencies: { runs: RunService; signals: RunSignals }): FastifyPluginAsyncZod {
  const { runs, signals } = dependencies;
  return async (app) => {
    app.post(
      '/api/workspaces/:workspaceId/workflows/:workflowId/runs',
      {
        config: { permission: 'run_agents', rateLimit: 'execution' },
        schema: {
          tags: ['runs'],
          summary:
            'Start a run of the workflow\'s current version (202 with the queued run; mode "mock" runs every agent step on the deterministic mock; record: true records the provider exchanges; mode "replay" with replayOf answers every step from a recorded run)',
          security: authenticated,
          params: workflowParams,
          body: startRunBody,
          response: { 202: runSchema, ...errorResponses, 422: errorSchema, 503: errorSchema },
        },
      },
      async (request, reply) =>
        reply.status(202).send(await runs.start(accessOf(request), request.params.workflowId, request.body)),
    );

    app.get(
      '/api/workspaces/:workspaceId/runs',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['runs'],
          summary: 'Workflow runs, newest first, with filters and a cursor',
          security: authenticated,
          params: workspaceIdParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(200).optional(),
            workflowId: z.string().min(1).max(64).optional(),
            status: z.enum(runStatuses as [string, ...string[]]).optional(),
            trigger: z.enum(runTriggers as [string, ...string[]]).optional(),
            mode: z.enum(['live', 'mock', 'replay']).optional(),
            from: queryDateSchema.optional(),
            to: queryDateSchema.optional(),
          }),
          response: { 200: listOf(runSchema), ...errorResponses },
        },
      },
      async (request) => runs.list(accessOf(request), request.query),
    );

    app.get(
      '/api/workspaces/:workspaceId/runs/:runId',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['runs'],
          summary:
            'One run with every step (rendered input, output, execution, attempts, cost, times, error)',
          security: authenticated,
          params: runParams,
          response: { 200: runSchema, ...errorResponses },
        },
      },
      async (request) => runs.get(accessOf(request), request.params.runId),
    );

    app.get(
      '/api/workspaces/:workspaceId/runs/:runId/events',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['runs'],
          summary:
            "The run's events as server-sent events (run-start, step-start, step-end, run-end), resumable with Last-Event-ID; the stream ends after run-end",
          security: authenticated,
          params: runParams,
          querystring: z.object({ after: z.coerce.number().int().min(0).optional() }),
          response: { ...errorResponses },
        },
      },
      async (request, reply) => {
        const access = accessOf(request);
        // 404 before the stream starts when the run is not the caller's.
        await runs.get(access, request.params.runId);
        const resumeFrom = readLastEventId(request) ?? request.query.after ?? 0;
        await streamRunEvents(request, reply, {
          runs,
          signals,
          access,
          runId: request.params.runId,
          resumeFrom,
        });
      },
    );

    app.post(
      '/api/workspaces/:workspaceId/runs/:runId/cancel',
      {
        config: { permission: 'run_agents' },
        schema: {
          tags: ['runs'],
          summary: 'Cancel a run: in-flight provider calls are aborted, open steps become cancelled',
          security: authenticated,
          params: runParams,
          response: { 200: runSchema, ...errorResponses },
        },
      },
      async (request) => runs.cancel(accessOf(request), request.params.runId),
    );

    app.post(
      '/api/workspaces/:workspaceId/runs/:runId/retry',
      {
        config: { permission: 'run_agents', rateLimit: 'execution' },
        schema: {
          tags: ['runs'],
          summary:
            'Run the failed, cancelled and skipped steps of a failed or cancelled run again; completed steps are kept',
          security: authenticated,
          params: runParams,
          response: { 202: runSchema, ...errorResponses, 503: errorSchema },
        },
      },
      async (request, reply) =>
        reply.status(202).send(await runs.retry(accessOf(request), request.params.runId)),
    );
  };
}

function readLastEventId(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id'];
  if (typeof header !== 'string' || !/^\d{1,9}$/.test(header)) return undefined;
  return Number(header);
}

async function streamRunEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  context: {
    runs: RunService;
    signals: RunSignals;
    access: WorkspaceAccess;
    runId: string;
    resumeFrom: number;
  },
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  let last = context.resumeFrom;
  let closed = false;
  let wake: (() => void) | null = null;
  const unsubscribe = context.signals.subscribe(context.runId, () => wake?.());
  raw.on('close', () => {
    closed = true;
    wake?.();
  });
  try {
    while (!closed) {
      const events = await context.runs.eventsAfter(context.access, context.runId, last);
      let ended = false;
      for (const event of events) {
        raw.write(`id: ${event.sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        last = event.sequence;
        if (event.type === 'run-end') ended = true;
      }
      if (ended) break;
      if (events.length > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, eventPollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } catch (error) {
    request.log.error({ err: error }, 'run event stream failed');
  } finally {
    unsubscribe();
    raw.end();
  }
}
