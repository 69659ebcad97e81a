import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { invalidError } from '../../core/errors.ts';
import type { Services } from '../../services/create-services.ts';
import type { PreparedExecution } from '../../services/executions/execution-service.ts';
import {
  type ExecutionView,
  executionFailure,
  executionModes,
  executionStatuses,
  executionTriggers,
} from '../../services/executions/execution-view.ts';
import { accessOf } from '../authentication.ts';
import {
  authenticated,
  errorResponses,
  errorSchema,
  listOf,
  queryDateSchema,
  workspaceIdParams,
} from '../schemas.ts';
import { agentParams } from './agent-routes.ts';

const attemptSchema = z.object({
  provider: z.string(),
  model: z.string(),
  status: z.enum(['succeeded', 'failed']),
  statusCode: z.number().nullable(),
  errorCode: z.string().nullable(),
  latencyMs: z.number(),
  purpose: z.enum(['answer', 'repair']),
});

const toolCallSchema = z.object({
  id: z.string(),
  tool: z.string(),
  kind: z.string(),
  arguments: z.unknown(),
  result: z.unknown(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  status: z.enum(['succeeded', 'failed', 'rejected', 'waiting_approval']),
  latencyMs: z.number(),
  turn: z.number().int(),
  childExecutionId: z.string().optional(),
  costUsd: z.number().optional(),
  approvalId: z.string().optional(),
});

export const executionSchema = z.object({
  id: z.string(),
  agentId: z.string(),
  agentVersionId: z.string(),
  agentVersion: z.number().int(),
  status: z.enum(executionStatuses as ['running', 'completed', 'failed', 'waiting_approval']),
  mode: z.enum(executionModes as ['live', 'mock', 'replay']),
  trigger: z.enum(executionTriggers as ['test', 'api', 'workflow', 'openai-compat']),
  input: z.unknown(),
  output: z.unknown(),
  rawOutput: z.string().nullable(),
  request: z.record(z.string(), z.unknown()).nullable(),
  error: z
    .object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() })
    .nullable(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), totalTokens: z.number() }),
  costUsd: z.number().nullable(),
  totalCostUsd: z.number().nullable(),
  toolCalls: z.array(toolCallSchema),
  parentExecutionId: z.string().nullable(),
  costPriced: z.boolean(),
  latencyMs: z.number().nullable(),
  timeToFirstTokenMs: z.number().nullable(),
  retries: z.number().int(),
  attempts: z.array(attemptSchema),
  fallbackUsed: z.boolean(),
  repaired: z.boolean(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  workflowRunId: z.string().nullable(),
  workflowStepId: z.string().nullable(),
  replayOf: z.string().nullable(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
});

const metricsSchema = z.object({
  count: z.number(),
  completed: z.number(),
  failed: z.number(),
  running: z.number(),
  successRate: z.number().nullable(),
  p50LatencyMs: z.number().nullable(),
  p95LatencyMs: z.number().nullable(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  totalTokens: z.number(),
  costUsd: z.number().describe('What the priced executions cost; unpriced ones are not counted as $0 in it'),
  unpricedCount: z
    .number()
    .describe('Executions of a model without a price (custom endpoints, new models): their cost is unknown'),
});

const statsSchema = z.object({
  from: z.date(),
  to: z.date(),
  interval: z.enum(['hour', 'day']),
  totals: metricsSchema,
  series: z.array(metricsSchema.extend({ bucket: z.date() })),
  byAgent: z.array(
    metricsSchema.extend({
      agentId: z.string(),
      agentSlug: z.string().nullable(),
      agentName: z.string().nullable(),
    }),
  ),
});

const deltaSchema = z.object({
  a: z.number().nullable(),
  b: z.number().nullable(),
  delta: z.number().nullable(),
});
const comparisonSchema = z.object({
  a: executionSchema,
  b: executionSchema,
  versionDiff: z.object({
    sameAgent: z.boolean(),
    sameVersion: z.boolean(),
    changes: z.array(z.object({ field: z.string(), group: z.string(), a: z.unknown(), b: z.unknown() })),
  }),
  metrics: z.object({
    latencyMs: deltaSchema,
    timeToFirstTokenMs: deltaSchema,
    costUsd: deltaSchema,
    inputTokens: deltaSchema,
    outputTokens: deltaSchema,
    totalTokens: deltaSchema,
    retries: deltaSchema,
  }),
  sameOutput: z.boolean(),
});

const executeBody = z
  .object({
    /** Optional for a replay, which replays the recorded input. */
    input: z.unknown().optional(),
    mode: z.enum(['live', 'mock', 'replay']).default('live'),
    /** Live: store every provider exchange so the execution can be replayed. */
    record: z.boolean().optional(),
    /** Mode `replay`: the recorded execution whose exchanges answer (input defaults to its input). */
    replayOf: z.string().min(1).max(64).optional(),
    /** At most one of versionId, version and versionLabel; without any, the published version runs. */
    versionId: z.string().min(1).max(64).nullish(),
    version: z.number().int().min(1).max(1_000_000).nullish(),
    versionLabel: z.string().min(1).max(40).nullish(),
  })
  .strict();

const idSchema = z.string().min(1).max(64);
const executionFailureResponses = {
  402: errorSchema,
  409: errorSchema,
  422: errorSchema,
  502: errorSchema,
  503: errorSchema,
  504: errorSchema,
};
const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

/** Executions: run an agent (JSON or SSE), history with filters, stats, comparison, one record. */
export function executionRoutes(
  dependencies: Pick<Services, 'executions' | 'executionQueries'>,
): FastifyPluginAsyncZod {
  const { executions, executionQueries } = dependencies;
  return async (app) => {
    app.post(
      '/api/workspaces/:workspaceId/agents/:agentId/executions',
      {
        config: { permission: 'run_agents', rateLimit: 'execution' },
        schema: {
          tags: ['executions'],
          summary:
            'Run an agent (its published version, or the one versionId, version or versionLabel names). Accept: text/event-stream streams text-delta events, then execution-end. record: true stores the provider exchanges; mode "replay" with replayOf answers from a recorded execution (no provider call, no cost; 422 replay_mismatch names the differing fields).',
          security: authenticated,
          params: agentParams,
          body: executeBody,
          response: { 201: executionSchema, ...errorResponses, ...executionFailureResponses },
        },
      },
      async (request, reply) => {
        const access = accessOf(request);
        const idempotencyKey = readIdempotencyKey(request);
        const prepared = await executions.prepare(
          access,
          request.params.agentId,
          {
            input: request.body.input,
            mode: request.body.mode,
            versionId: request.body.versionId,
            version: request.body.version,
            versionLabel: request.body.versionLabel,
            record: request.body.record,
            replayOf:
              request.body.replayOf === undefined ? undefined : { executionId: request.body.replayOf },
          },
          { trigger: access.tokenId ? 'api' : 'test', idempotencyKey },
        );
        if (prepared.kind === 'replay') reply.header('idempotent-replayed', 'true');
        if (wantsEventStream(request)) return streamExecution(request, reply, prepared);
        const execution =
          prepared.kind === 'replay' ? prepared.execution : await runUntilClosed(reply, prepared);
        if (execution.status === 'failed') throw executionFailure(execution);
        return reply.status(201).send(execution);
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/executions',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['executions'],
          summary: 'Execution history, newest first, with filters and a cursor',
          security: authenticated,
          params: workspaceIdParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(200).optional(),
            agentId: idSchema.optional(),
            versionId: idSchema.optional(),
            status: z
              .enum(executionStatuses as ['running', 'completed', 'failed', 'waiting_approval'])
              .optional(),
            mode: z.enum(executionModes as ['live', 'mock', 'replay']).optional(),
            trigger: z.enum(executionTriggers as ['test', 'api', 'workflow', 'openai-compat']).optional(),
            from: queryDateSchema.optional(),
            to: queryDateSchema.optional(),
            error: z.string().trim().min(1).max(200).optional(),
          }),
          response: { 200: listOf(executionSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { versionId, error, ...query } = request.query;
        return executions.list(accessOf(request), {
          ...query,
          agentVersionId: versionId,
          errorText: error,
        });
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/executions/stats',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['executions'],
          summary:
            'Totals and a series by hour or day and by agent: count, success rate, p50/p95 latency, tokens, cost (default: the last 30 days by day)',
          security: authenticated,
          params: workspaceIdParams,
          querystring: z.object({
            from: queryDateSchema.optional(),
            to: queryDateSchema.optional(),
            interval: z.enum(['hour', 'day']).default('day'),
            agentId: idSchema.optional(),
            mode: z.enum(executionModes as ['live', 'mock', 'replay']).optional(),
          }),
          response: { 200: statsSchema, ...errorResponses },
        },
      },
      async (request) => executionQueries.stats(accessOf(request), request.query),
    );

    app.get(
      '/api/workspaces/:workspaceId/executions/compare',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['executions'],
          summary:
            'Two executions side by side: the version diff (prompt, model, parameters, schemas) and metric deltas',
          security: authenticated,
          params: workspaceIdParams,
          querystring: z.object({ a: idSchema, b: idSchema }),
          response: { 200: comparisonSchema, ...errorResponses },
        },
      },
      async (request) => executions.compare(accessOf(request), request.query.a, request.query.b),
    );

    app.get(
      '/api/workspaces/:workspaceId/executions/:executionId',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['executions'],
          summary: 'One execution record',
          security: authenticated,
          params: workspaceIdParams.extend({ executionId: idSchema }),
          response: { 200: executionSchema, ...errorResponses },
        },
      },
      async (request) => executions.get(accessOf(request), request.params.executionId),
    );
  };
}

function readIdempotencyKey(request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !idempotencyKeyPattern.test(header)) {
    throw invalidError(
      'idempotency_key_invalid',
      'The Idempotency-Key header must be 1 to 255 visible ASCII characters (a UUID is a good choice).',
    );
  }
  return header;
}

function wantsEventStream(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/event-stream');
}

/** An abort signal that fires when the client goes away before the answer was sent. */
export function closedSignal(reply: FastifyReply): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
  };
  reply.raw.on('close', onClose);
  return { signal: controller.signal, dispose: () => reply.raw.off('close', onClose) };
}

/** Runs a prepared execution without streaming; a client that goes away cancels the provider call. */
export async function runUntilClosed(
  reply: FastifyReply,
  prepared: Extract<PreparedExecution, { kind: 'run' }>,
): Promise<ExecutionView> {
  const closed = closedSignal(reply);
  try {
    return await prepared.run({ stream: false, abortSignal: closed.signal });
  } finally {
    closed.dispose();
  }
}

/**
 * Server-sent events: `execution-start` with the running record, `text-delta` per chunk, then
 * `execution-end` with the finished record. Failures after the stream began arrive in
 * `execution-end` (status failed), so the response is never cut half-way.
 */
async function streamExecution(
  request: FastifyRequest,
  reply: FastifyReply,
  prepared: PreparedExecution,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
    ...(prepared.kind === 'replay' ? { 'idempotent-replayed': 'true' } : {}),
  });
  const send = (event: string, data: unknown) => {
    if (!raw.destroyed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  if (prepared.kind === 'replay') {
    send('execution-end', prepared.execution);
    raw.end();
    return;
  }
  send('execution-start', prepared.execution);
  const closed = closedSignal(reply);
  try {
    const execution = await prepared.run({
      stream: true,
      abortSignal: closed.signal,
      onTextDelta: (text) => send('text-delta', { text }),
      // The tool loop as it happens: `tool-call` before a call runs, `tool-result` when it ended.
      onToolEvent: (event) => send(event.type, event),
    });
    send('execution-end', execution);
  } catch (error) {
    // The record could not be finished (the database failed): say so instead of cutting the stream.
    request.log.error({ err: error }, 'execution stream failed');
    send('execution-end', {
      ...prepared.execution,
      status: 'failed',
      error: {
        code: 'internal_error',
        message: `Something went wrong on our side. Quote request id ${request.id}.`,
      },
    });
  } finally {
    closed.dispose();
    raw.end();
  }
}
