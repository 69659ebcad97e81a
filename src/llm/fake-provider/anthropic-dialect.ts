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

/** Error bodies as Anthropic sends them: `{ type: 'error', error: { type, message } }`. */
export function anthropicError(fault: FakeFault): { status: number; body: unknown } {
  const error = (status: number, type: string, message: string) => ({
    status,
    body: { type: 'error', error: { type, message } },
  });
  switch (fault.fault) {
    case 'rate_limit':
      return error(
        429,
        'rate_limit_error',
        'Number of request tokens has exceeded your per-minute rate limit.',
      );
    case 'server_error':
      return error(500, 'api_error', 'Internal server error.');
    case 'unavailable':
      return error(503, 'overloaded_error', 'Overloaded.');
    case 'unauthorized':
      return error(401, 'authentication_error', 'invalid x-api-key');
    case 'bad_request':
      return error(400, 'invalid_request_error', 'messages: at least one message is required');
    default:
      return error(500, 'api_error', 'Unexpected fake fault.');
  }
}

/**
 * Answers `POST /v1/messages`, JSON or the SSE event sequence. Structured output arrives either as
 * `output_config.format` (native structured outputs: the answer is JSON text) or as a forced tool
 * (the AI SDK's `json` tool fallback: the answer is a `tool_use` block) — both are served.
 */
export async function writeAnthropicMessage(exchange: FakeExchange): Promise<void> {
  if (exchange.toolCalls.length > 0 && exchange.fault.fault === 'none')
    return writeAnthropicToolUse(exchange);
  const { body, model, fault, response } = exchange;
  const forcedTool = readForcedTool(body);
  const textSchema = readOutputFormatSchema(body);
  const filtered = fault.fault === 'content_filter';
  const answerText = filtered ? '' : exchange.answer(forcedTool ? forcedTool.schema : textSchema);
  const usage = exchange.usage(answerText);
  const id = `msg_${randomSuffix(24)}`;
  const stopReason = filtered ? 'refusal' : forcedTool ? 'tool_use' : 'end_turn';
  const headers = { 'request-id': exchange.requestId, 'anthropic-organization-id': 'fake-organization' };
  const usageBody = {
    input_tokens: usage.promptTokens - usage.cachedTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cachedTokens,
    output_tokens: usage.completionTokens,
  };
  const toolUseId = `toolu_${randomSuffix(24)}`;
  const block = forcedTool
    ? {
        type: 'tool_use',
        id: toolUseId,
        name: forcedTool.name,
        input: filtered ? {} : JSON.parse(answerText),
      }
    : { type: 'text', text: answerText };

  if (body.stream !== true) {
    const message = {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: filtered ? [] : [block],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: usageBody,
    };
    if (fault.fault === 'malformed_json' || fault.fault === 'json_for_stream') {
      response.writeHead(200, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(message).slice(0, 40));
      exchange.finish(200);
      return;
    }
    if (fault.fault === 'stream_cut') {
      writeCutJson(response, message, headers);
      exchange.finish(200);
      return;
    }
    writeJson(response, 200, message, headers);
    exchange.finish(200, usage);
    return;
  }

  if (fault.fault === 'json_for_stream') {
    // A body that starts like a complete answer and stops: no event stream at all.
    response.writeHead(200, { 'content-type': 'application/json', ...headers });
    response.end(`{"id":"${id}","type":"message","role":"assistant","content":[{"type":"text","text":"`);
    exchange.finish(200);
    return;
  }
  const send = (event: string, data: unknown) =>
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  startEventStream(response, headers);
  exchange.finish(200, usage);
  send('message_start', {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usageBody, output_tokens: 1 },
    },
  });
  if (fault.fault === 'malformed_json') {
    response.write('event: content_block_start\ndata: {"type": "content_block_start", "index": \n\n');
    response.end();
    return;
  }
  const cutAfter = fault.fault === 'stream_cut' ? (fault.afterChunks ?? 2) : Number.POSITIVE_INFINITY;
  let sent = 0;
  if (!filtered) {
    send('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: forcedTool ? { ...block, input: {} } : { type: 'text', text: '' },
    });
    send('ping', { type: 'ping' });
    for (const piece of splitIntoChunks(answerText)) {
      if (sent >= cutAfter) {
        cutConnection(response);
        return;
      }
      await delay(exchange.chunkDelayMs);
      const delta = forcedTool
        ? { type: 'input_json_delta', partial_json: piece }
        : { type: 'text_delta', text: piece };
      send('content_block_delta', { type: 'content_block_delta', index: 0, delta });
      sent++;
    }
    if (sent >= cutAfter) {
      cutConnection(response);
      return;
    }
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
  }
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.completionTokens },
  });
  send('message_stop', { type: 'message_stop' });
  response.end();
}

/** A scripted answer that asks for tool calls: one `tool_use` block per call, `stop_reason: "tool_use"`. */
async function writeAnthropicToolUse(exchange: FakeExchange): Promise<void> {
  const { body, model, response } = exchange;
  const blocks = exchange.toolCalls.map((call) => ({
    type: 'tool_use' as const,
    id: call.id,
    name: call.name,
    input: call.arguments ?? {},
  }));
  const usage = exchange.usage(JSON.stringify(blocks));
  const id = `msg_${randomSuffix(24)}`;
  const headers = { 'request-id': exchange.requestId, 'anthropic-organization-id': 'fake-organization' };
  const usageBody = {
    input_tokens: usage.promptTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: usage.completionTokens,
  };
  if (body.stream !== true) {
    writeJson(
      response,
      200,
      {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: blocks,
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: usageBody,
      },
      headers,
    );
    exchange.finish(200, usage);
    return;
  }
  const send = (event: string, data: unknown) =>
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  startEventStream(response, headers);
  exchange.finish(200, usage);
  send('message_start', {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usageBody, output_tokens: 1 },
    },
  });
  for (const [index, block] of blocks.entries()) {
    await delay(exchange.chunkDelayMs);
    send('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { ...block, input: {} },
    });
    send('content_block_delta', {
      type: 'content_block_delta',
      index,
      delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
    });
    send('content_block_stop', { type: 'content_block_stop', index });
  }
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'tool_use', stop_sequence: null },
    usage: { output_tokens: usage.completionTokens },
  });
  send('message_stop', { type: 'message_stop' });
  response.end();
}

function readForcedTool(body: Record<string, unknown>): { name: string; schema: JsonSchema } | undefined {
  const choice = body.tool_choice as { type?: string; name?: string } | undefined;
  if (choice?.type !== 'tool' || !Array.isArray(body.tools)) return undefined;
  const tool = (body.tools as { name?: string; input_schema?: JsonSchema }[]).find(
    (entry) => entry.name === choice.name,
  );
  return tool ? { name: tool.name ?? 'json', schema: tool.input_schema ?? {} } : undefined;
}

function readOutputFormatSchema(body: Record<string, unknown>): JsonSchema | undefined {
  const config = body.output_config as { format?: { type?: string; schema?: JsonSchema } } | undefined;
  const legacy = body.output_format as { type?: string; schema?: JsonSchema } | undefined;
  const format = config?.format ?? legacy;
  return format?.type === 'json_schema' ? (format.schema ?? {}) : undefined;
}
