import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FlightdeckError } from '../../core/errors.ts';
import type { Services } from '../../services/create-services.ts';
import type { PreparedExecution } from '../../services/executions/execution-service.ts';
import { type ExecutionView, executionFailure } from '../../services/executions/execution-view.ts';
import type { WorkspaceAccess } from '../../services/identity/principal.ts';
import { requirePermission } from '../../services/identity/workspace-access.ts';
import {
  completionContent,
  completionHeader,
  completionUsage,
  toChatCompletion,
} from '../../services/openai/completion-view.ts';
import { invalidParam } from '../../services/openai/messages-to-input.ts';
import type { ChatCompletionRequest } from '../../services/openai/openai-compatible-service.ts';
import { accessOf } from '../authentication.ts';
import { createOpenAiErrorHandler, describeOpenAiError } from '../openai-error.ts';
import type { createRateLimitCheck } from '../rate-limit.ts';
import { closedSignal, runUntilClosed } from './execution-routes.ts';
import {
  type ChatCompletionBody,
  chatCompletionBody,
  chatCompletionSchema,
  modelListSchema,
  modelSchema,
  openAiErrorResponses,
  openAiErrorSchema,
} from './openai-schemas.ts';

const tokenOnly: Array<Record<string, string[]>> = [{ bearerToken: [] }];

/**
 * The OpenAI-compatible endpoint under `/v1`: any OpenAI SDK pointed at `<server>/v1` with a
 * workspace API token calls the workspace's agents as models `agent/<slug>`. The routes are public
 * to the `/api` hook and authenticate here, by token only, answering errors in OpenAI's shape.
 */
export function openAiRoutes(
  dependencies: Pick<Services, 'authentication' | 'openaiCompatible'> & {
    checkRateLimit: ReturnType<typeof createRateLimitCheck>;
    bodyLimitBytes: number;
  },
): FastifyPluginAsyncZod {
  const { authentication, openaiCompatible, checkRateLimit } = dependencies;
  const plugin: FastifyPluginAsyncZod = async (app) => {
    app.setErrorHandler(createOpenAiErrorHandler({ bodyLimitBytes: dependencies.bodyLimitBytes }));
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0];
      reply.status(404).send({
        error: {
          message: `Invalid URL (${request.method} ${path}). This server offers POST /v1/chat/completions, GET /v1/models and GET /v1/models/{model}.`,
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_url',
        },
      });
    });

    // Before body parsing, like the /api hook: a caller without rights learns nothing from validation.
    app.addHook('onRequest', async (request, reply) => {
      if (request.is404) return;
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      const principal = match?.[1] ? await authentication.authenticateToken(match[1]) : null;
      if (principal?.kind !== 'token') {
        throw new FlightdeckError({
          code: 'invalid_token',
          kind: 'unauthenticated',
          message:
            'Incorrect or revoked API token. Send Authorization: Bearer fd_… with an active Flightdeck workspace token (the OpenAI SDKs do this with apiKey).',
        });
      }
      request.principal = principal;
      // A token belongs to exactly one workspace: the one whose agents it sees as models.
      const access: WorkspaceAccess = {
        workspaceId: principal.workspaceId,
        role: principal.role,
        userId: principal.userId,
        tokenId: principal.tokenId,
      };
      request.workspaceAccess = access;
      const config = request.routeOptions.config;
      requirePermission(access, config.permission ?? 'read');
      const tokenLimit =
        principal.rateLimitPerMinute === null
          ? null
          : { tokenId: principal.tokenId, limitPerMinute: principal.rateLimitPerMinute };
      await checkRateLimit(reply, access.workspaceId, config.rateLimit ?? 'default', tokenLimit);
    });

    app.get(
      '/models',
      {
        config: { public: true, permission: 'read' },
        schema: {
          tags: ['openai'],
          summary: "OpenAI-compatible: the workspace's agents as models agent/<slug>",
          security: tokenOnly,
          response: { 200: modelListSchema, ...openAiErrorResponses },
        },
      },
      async (request) => ({
        object: 'list' as const,
        data: await openaiCompatible.listModels(accessOf(request)),
      }),
    );

    app.get(
      '/models/*',
      {
        config: { public: true, permission: 'read' },
        schema: {
          tags: ['openai'],
          summary: 'OpenAI-compatible: one agent as a model (agent/<slug>, or agent/<slug>@<version>)',
          security: tokenOnly,
          params: z.object({ '*': z.string().max(300) }),
          response: { 200: modelSchema, ...openAiErrorResponses },
        },
      },
      async (request) => openaiCompatible.getModel(accessOf(request), request.params['*']),
    );

    app.post(
      '/chat/completions',
      {
        config: { public: true, permission: 'run_agents', rateLimit: 'execution' },
        schema: {
          tags: ['openai'],
          summary:
            'OpenAI-compatible chat completion: runs the agent named by model (agent/<slug>[@<version>]) on the last user message; stream: true answers chat.completion.chunk events and data: [DONE]',
          security: tokenOnly,
          body: chatCompletionBody,
          response: {
            200: chatCompletionSchema,
            ...openAiErrorResponses,
            402: openAiErrorSchema,
            422: openAiErrorSchema,
            502: openAiErrorSchema,
            503: openAiErrorSchema,
            504: openAiErrorSchema,
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const { prepared, structured } = await openaiCompatible.prepareCompletion(
          accessOf(request),
          completionRequest(body),
        );
        reply.header('x-flightdeck-execution-id', prepared.execution.id);
        if (body.stream) {
          return streamCompletion(request, reply, prepared, {
            model: body.model,
            structured,
            includeUsage: body.stream_options?.include_usage === true,
            bodyLimitBytes: dependencies.bodyLimitBytes,
          });
        }
        const execution =
          prepared.kind === 'replay' ? prepared.execution : await runUntilClosed(reply, prepared);
        if (execution.status === 'failed') throw executionFailure(execution);
        return reply.status(200).send(toChatCompletion(execution, body.model));
      },
    );
  };
  return async (app) => {
    await app.register(plugin, { prefix: '/v1' });
  };
}

/** Refuses what one agent execution cannot answer; the rest of the request is read as it is. */
function completionRequest(body: ChatCompletionBody): ChatCompletionRequest {
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw invalidParam('n_unsupported', `n is ${body.n}; an agent gives one answer per request (n=1).`, 'n');
  }
  if ((body.tools?.length ?? 0) > 0 || (body.functions?.length ?? 0) > 0) {
    throw invalidParam(
      'tools_unsupported',
      'Tools and functions are not supported: a Flightdeck agent answers with text or JSON.',
      body.tools?.length ? 'tools' : 'functions',
    );
  }
  const maxTokens =
    typeof body.max_completion_tokens === 'number'
      ? { value: body.max_completion_tokens, param: 'max_completion_tokens' }
      : typeof body.max_tokens === 'number'
        ? { value: body.max_tokens, param: 'max_tokens' }
        : null;
  return {
    model: body.model,
    messages: body.messages,
    temperature: body.temperature,
    maxTokens,
    responseFormat: body.response_format as ChatCompletionRequest['responseFormat'],
  };
}

/**
 * Streams `chat.completion.chunk` events, then `data: [DONE]`. The status line waits for the first
 * text, so failures before it (provider down after retries, output invalid) keep their HTTP status;
 * a failure after it arrives as an `error` event, which the OpenAI SDKs raise. Agents with an output
 * schema send their validated JSON in one chunk at the end, since a repair may replace the first
 * answer.
 */
async function streamCompletion(
  request: FastifyRequest,
  reply: FastifyReply,
  prepared: PreparedExecution,
  options: { model: string; structured: boolean; includeUsage: boolean; bodyLimitBytes: number },
): Promise<void> {
  const raw = reply.raw;
  const header = completionHeader(prepared.execution, options.model);
  const chunk = (choices: unknown[]) => ({
    ...header,
    object: 'chat.completion.chunk',
    choices,
    ...(options.includeUsage ? { usage: null } : {}),
  });
  const delta = (content: Record<string, unknown>, finishReason: 'stop' | null = null) =>
    chunk([{ index: 0, delta: content, logprobs: null, finish_reason: finishReason }]);
  const send = (data: unknown) => {
    if (!raw.destroyed) raw.write(`data: ${JSON.stringify(data)}\n\n`);
  };
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
      'x-flightdeck-execution-id': prepared.execution.id,
    });
    send(delta({ role: 'assistant', content: '' }));
  };
  const fail = (error: FlightdeckError) => {
    send(describeOpenAiError(error, request, options.bodyLimitBytes).body);
    raw.end();
  };

  let streamedText = false;
  let execution: ExecutionView;
  if (prepared.kind === 'replay') execution = prepared.execution;
  else {
    const closed = closedSignal(reply);
    try {
      execution = await prepared.run({
        stream: true,
        abortSignal: closed.signal,
        onTextDelta: options.structured
          ? undefined
          : (text) => {
              start();
              streamedText = true;
              send(delta({ content: text }));
            },
      });
    } catch (error) {
      // The record could not be finished (the database failed).
      if (!started) throw error;
      request.log.error({ err: error }, 'chat completion stream failed');
      fail(
        new FlightdeckError({
          code: 'internal_error',
          kind: 'internal',
          message: `Something went wrong on our side. Quote request id ${request.id}.`,
        }),
      );
      return;
    } finally {
      closed.dispose();
    }
  }
  if (execution.status === 'failed') {
    const failure = executionFailure(execution);
    if (!started) throw failure;
    fail(failure);
    return;
  }
  start();
  if (!streamedText) send(delta({ content: completionContent(execution) }));
  send(delta({}, 'stop'));
  if (options.includeUsage)
    send({ ...header, object: 'chat.completion.chunk', choices: [], usage: completionUsage(execution) });
  raw.end('data: [DONE]\n\n');
}
