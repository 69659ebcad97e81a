import type { JsonSchema } from '../language-model-provider.ts';
import type { FakeExchange } from './fake-exchange.ts';
import {
  cutConnection,
  delay,
  randomSuffix,
  splitIntoChunks,
  startEventStream,
  writeCutJson,
  writeJson,
} from './fake-exchange.ts';
import type { FakeFault } from './fake-fault.ts';

/** Error bodies as OpenAI sends them: `{ error: { message, type, param, code } }`. */
export function openAiError(fault: FakeFault): { status: number; body: unknown } {
  const error = (status: number, message: string, type: string, code: string | null) => ({
    status,
    body: { error: { message, type, param: null, code } },
  });
  switch (fault.fault) {
    case 'rate_limit':
      return error(
        429,
        'Rate limit reached for requests. Please try again later.',
        'requests',
        'rate_limit_exceeded',
      );
    case 'server_error':
      return error(500, 'The server had an error while processing your request.', 'server_error', null);
    case 'unavailable':
      return error(503, 'The engine is currently overloaded, please try again later.', 'server_error', null);
    case 'unauthorized':
      return error(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    case 'bad_request':
      return error(400, "Invalid value for 'messages'.", 'invalid_request_error', 'invalid_value');
    default:
      return error(500, 'Unexpected fake fault.', 'server_error', null);
  }
}

/** Answers `POST /v1/chat/completions`, JSON or SSE, in the documented wire format. */
export async function writeOpenAiChatCompletion(exchange: FakeExchange): Promise<void> {
  if (exchange.toolCalls.length > 0 && exchange.fault.fault === 'none') return writeOpenAiToolCalls(exchange);
  const { body, model, fault, response } = exchange;
  const schema = readResponseSchema(body.response_format);
  const filtered = fault.fault === 'content_filter';
  const text = filtered ? '' : exchange.answer(schema);
  const usage = exchange.usage(text);
  const id = `chatcmpl-${randomSuffix(29)}`;
  const created = Math.floor(Date.now() / 1000);
  const finishReason = filtered ? 'content_filter' : 'stop';
  const headers = { 'x-request-id': exchange.requestId, 'openai-processing-ms': '1' };
  const usageBody = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };

  if (body.stream !== true) {
    const completion = {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_fake',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage: usageBody,
      service_tier: 'default',
    };
    if (fault.fault === 'malformed_json' || fault.fault === 'json_for_stream') {
      response.writeHead(200, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(completion).slice(0, 40));
      exchange.finish(200);
      return;
    }
    if (fault.fault === 'stream_cut') {
      writeCutJson(response, completion, headers);
      exchange.finish(200);
      return;
    }
    writeJson(response, 200, completion, headers);
    exchange.finish(200, usage);
    return;
  }

  if (fault.fault === 'json_for_stream') {
    // A body that starts like a complete answer and stops: no event stream at all.
    response.writeHead(200, { 'content-type': 'application/json', ...headers });
    response.end(
      `{"id":"${id}","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"`,
    );
    exchange.finish(200);
    return;
  }
  const includeUsage =
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_fake',
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  const send = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
  startEventStream(response, headers);
  exchange.finish(200, usage);
  send(
    chunk([
      {
        index: 0,
        delta: { role: 'assistant', content: '', refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ]),
  );
  if (fault.fault === 'malformed_json') {
    response.write('data: {"id": "chatcmpl-broken", "choices": [\n\n');
    response.end();
    return;
  }
  const cutAfter = fault.fault === 'stream_cut' ? (fault.afterChunks ?? 2) : Number.POSITIVE_INFINITY;
  let sent = 0;
  for (const piece of filtered ? [] : splitIntoChunks(text)) {
    if (sent >= cutAfter) {
      cutConnection(response);
      return;
    }
    await delay(exchange.chunkDelayMs);
    send(chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]));
    sent++;
  }
  if (sent >= cutAfter) {
    cutConnection(response);
    return;
  }
  send(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }]));
  if (includeUsage) send(chunk([], { usage: usageBody }));
  response.end('data: [DONE]\n\n');
}

/**
 * A scripted answer that asks for tool calls: `message.tool_calls` with `finish_reason:
 * "tool_calls"`, or streamed as `delta.tool_calls` chunks (name first, then the arguments text).
 */
async function writeOpenAiToolCalls(exchange: FakeExchange): Promise<void> {
  const { body, model, response } = exchange;
  const calls = exchange.toolCalls.map((call) => ({
    id: call.id,
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) },
  }));
  const usage = exchange.usage(calls.map((call) => call.function.name + call.function.arguments).join(''));
  const id = `chatcmpl-${randomSuffix(29)}`;
  const created = Math.floor(Date.now() / 1000);
  const headers = { 'x-request-id': exchange.requestId, 'openai-processing-ms': '1' };
  const usageBody = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
  if (body.stream !== true) {
    writeJson(
      response,
      200,
      {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: null, tool_calls: calls, refusal: null },
            logprobs: null,
            finish_reason: 'tool_calls',
          },
        ],
        usage: usageBody,
      },
      headers,
    );
    exchange.finish(200, usage);
    return;
  }
  const includeUsage =
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  const send = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
  startEventStream(response, headers);
  exchange.finish(200, usage);
  send(chunk([{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }]));
  for (const [index, call] of calls.entries()) {
    await delay(exchange.chunkDelayMs);
    send(
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [
              { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
            ],
          },
          finish_reason: null,
        },
      ]),
    );
    send(
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ index, function: { arguments: call.function.arguments } }] },
          finish_reason: null,
        },
      ]),
    );
  }
  send(chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]));
  if (includeUsage) send(chunk([], { usage: usageBody }));
  response.end('data: [DONE]\n\n');
}

/** `GET /v1/models`. */
export function writeOpenAiModels(
  exchange: Pick<FakeExchange, 'response' | 'requestId'>,
  models: string[],
): void {
  writeJson(
    exchange.response,
    200,
    {
      object: 'list',
      data: models.map((id) => ({
        id,
        object: 'model',
        created: 1_700_000_000,
        owned_by: 'flightdeck-fake',
      })),
    },
    { 'x-request-id': exchange.requestId },
  );
}

function readResponseSchema(responseFormat: unknown): JsonSchema | undefined {
  if (typeof responseFormat !== 'object' || responseFormat === null) return undefined;
  const format = responseFormat as { type?: string; json_schema?: { schema?: JsonSchema } };
  if (format.type === 'json_schema') return format.json_schema?.schema ?? {};
  if (format.type === 'json_object') return { type: 'object', properties: { answer: { type: 'string' } } };
  return undefined;
}
