import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonSchema } from '../language-model-provider.ts';
import { sampleFromSchema } from '../schema-sample.ts';
import { hashText, seededRandom } from '../seeded-random.ts';
import { anthropicError, writeAnthropicMessage } from './anthropic-dialect.ts';
import { type FakeResponder, readFakeConversation } from './fake-conversation.ts';
import type { FakeExchange } from './fake-exchange.ts';
import { contentText, randomSuffix, writeJson } from './fake-exchange.ts';
import type { FakeFault } from './fake-fault.ts';
import { parseFakeFault } from './fake-fault.ts';
import { openAiError, writeOpenAiChatCompletion, writeOpenAiModels } from './openai-dialect.ts';

export interface FakeProviderOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** When set, only this key is accepted (as `Authorization: Bearer` or `x-api-key`); others get 401. */
  apiKey?: string;
  /** The answer text for plain (unstructured) requests. Default: an echo of the last user message. */
  text?: string | ((request: { model: string; lastUserMessage: string }) => string);
  /**
   * Multiplies the prompt tokens it reports (about 4 characters a token otherwise): a model whose
   * tokenizer counts more than the caller's estimate. Default 1.
   */
  promptTokenFactor?: number;
  /** Prompt tokens reported as served from the cache (capped at the prompt size). Default 0. */
  cachedInputTokens?: number;
  /** Pause between stream chunks. Default 0. */
  chunkDelayMs?: number;
  /** Listed by `GET /v1/models`. */
  models?: string[];
  /**
   * Scripts the model per request: answer with text, or ask for tool calls (several in one turn
   * allowed) in the dialect's own shape — OpenAI `tool_calls`, Anthropic `tool_use` blocks.
   */
  respond?: FakeResponder;
}

export interface FakeProviderCall {
  index: number;
  /** The request id the fake sent back (`x-request-id` or `request-id`). */
  requestId: string;
  /** Epoch milliseconds with sub-millisecond precision, taken when the request arrived. */
  receivedAt: number;
  method: string;
  path: string;
  /** Request headers with `authorization` and `x-api-key` redacted. */
  headers: Record<string, string>;
  /** Which credential came and how, without keeping the secret: last 4 characters and a SHA-256. */
  credential: { scheme: 'bearer' | 'x-api-key'; last4: string; sha256: string } | null;
  body: unknown;
  model: string | null;
  stream: boolean;
  fault: FakeFault['fault'];
  /** The HTTP status sent; null while pending, or when the connection was reset or hung. */
  status: number | null;
  usage: { promptTokens: number; completionTokens: number; cachedTokens: number } | null;
}

export interface FakeProvider {
  /** Origin, e.g. `http://127.0.0.1:4010`; SDK base URLs are `${url}/v1`. */
  url: string;
  /** The call log, oldest first. */
  readonly calls: readonly FakeProviderCall[];
  /** Queues faults for the next completion requests, one per request, in order. */
  script(faults: FakeFault[]): void;
  /** Empties the call log and the fault queue. */
  reset(): void;
  /** Replaces the responder (`undefined`: default answers again). */
  respondWith(responder: FakeResponder | undefined): void;
  close(): Promise<void>;
}

const defaultModels = [
  'gpt-4o-mini',
  'gpt-4o',
  'gpt-4.1',
  'claude-sonnet-4-5',
  'claude-haiku-4-5',
  'fake-model',
];

/**
 * A local server speaking the OpenAI Chat Completions and Anthropic Messages wire formats, with
 * faults scriptable per request — for offline demos, CI and the adapter contract suite. Faults come
 * from the `x-fake-fault` header, then the scripted queue, then a `fault:<spec>` model name.
 */
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const calls: FakeProviderCall[] = [];
  const queue: FakeFault[] = [];
  const host = options.host ?? '127.0.0.1';
  let responder = options.respond;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        writeJson(response, 500, { error: { message: String(error), type: 'server_error' } });
      else response.socket?.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const receivedAt = performance.timeOrigin + performance.now();
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const rawBody = await readBody(request);
    let body: Record<string, unknown> = {};
    try {
      body = rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    const dialect = path.endsWith('/messages') ? 'anthropic' : 'openai';
    const requestId = `req_${randomUUID().replace(/-/g, '')}`;
    const credential = readCredential(request);
    const isCompletion =
      request.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/messages');
    const rawModel = typeof body.model === 'string' ? body.model : null;
    const fault = isCompletion ? pickFault(request, rawModel) : { fault: 'none' as const };
    const call: FakeProviderCall = {
      index: calls.length,
      requestId,
      receivedAt,
      method: request.method ?? 'GET',
      path,
      headers: redactHeaders(request),
      credential: credential ? describeCredential(credential) : null,
      body,
      model: rawModel,
      stream: body.stream === true,
      fault: fault.fault,
      status: null,
      usage: null,
    };
    calls.push(call);

    const respondError = (
      failure: { status: number; body: unknown },
      headers: Record<string, string> = {},
    ) => {
      call.status = failure.status;
      const idHeader = dialect === 'anthropic' ? 'request-id' : 'x-request-id';
      writeJson(response, failure.status, failure.body, { [idHeader]: requestId, ...headers });
    };
    const errorFor = dialect === 'anthropic' ? anthropicError : openAiError;

    if (options.apiKey !== undefined && credential?.value !== options.apiKey && path.startsWith('/v1/')) {
      respondError(errorFor({ fault: 'unauthorized' }));
      return;
    }
    if (request.method === 'GET' && path === '/v1/models') {
      call.status = 200;
      writeOpenAiModels({ response, requestId }, options.models ?? defaultModels);
      return;
    }
    if (!isCompletion) {
      call.status = 404;
      writeJson(response, 404, {
        error: { message: `Unknown route ${request.method} ${path}`, type: 'invalid_request_error' },
      });
      return;
    }

    switch (fault.fault) {
      case 'reset':
        request.socket.destroy();
        return;
      case 'hang':
        if (fault.ms === undefined) return; // Held open until the client gives up or the server closes.
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        break;
      case 'rate_limit': {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        respondError(errorFor(fault), headers);
        return;
      }
      case 'unavailable':
        respondError(
          errorFor(fault),
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
        );
        return;
      case 'server_error':
      case 'unauthorized':
      case 'bad_request':
        respondError(errorFor(fault));
        return;
      case 'none':
      case 'content_filter':
      case 'malformed_json':
      case 'json_for_stream':
      case 'stream_cut':
        break;
    }

    const model = rawModel?.startsWith('fault:') ? 'fake-model' : (rawModel ?? 'fake-model');
    const promptText = readPromptText(body, dialect);
    const promptTokens = Math.ceil(
      (estimateTokens(promptText.all) + 3 * promptText.messageCount) * (options.promptTokenFactor ?? 1),
    );
    const reply = responder
      ? await responder(readFakeConversation(body, dialect, model, promptText.lastUser))
      : undefined;
    const scriptedText = reply && 'text' in reply ? reply.text : undefined;
    const idPrefix = dialect === 'anthropic' ? 'toolu_' : 'call_';
    const toolCalls =
      reply && 'toolCalls' in reply
        ? reply.toolCalls.map((toolCall) => ({
            id: toolCall.id ?? `${idPrefix}${randomSuffix(24)}`,
            name: toolCall.name,
            arguments: toolCall.arguments,
          }))
        : [];
    const exchange: FakeExchange = {
      response,
      body,
      model,
      fault,
      requestId,
      chunkDelayMs: options.chunkDelayMs ?? 0,
      toolCalls,
      answer(schema: JsonSchema | undefined) {
        if (scriptedText !== undefined) return scriptedText;
        if (schema) {
          const random = seededRandom(hashText(`${model}\n${promptText.all}\n${String(body.seed ?? '')}`));
          return JSON.stringify(sampleFromSchema(schema, random));
        }
        const text = options.text;
        if (typeof text === 'function') return text({ model, lastUserMessage: promptText.lastUser });
        return text ?? `Fake ${model} answer to: ${promptText.lastUser.slice(0, 200)}`;
      },
      usage(answerText) {
        return {
          promptTokens,
          completionTokens: Math.max(1, estimateTokens(answerText)),
          cachedTokens: Math.min(options.cachedInputTokens ?? 0, promptTokens),
        };
      },
      finish(status, usage) {
        call.status = status;
        call.usage = usage ?? null;
      },
    };
    if (dialect === 'anthropic') await writeAnthropicMessage(exchange);
    else await writeOpenAiChatCompletion(exchange);
  }

  function pickFault(request: IncomingMessage, model: string | null): FakeFault {
    const header = request.headers['x-fake-fault'];
    if (typeof header === 'string') {
      const parsed = parseFakeFault(header);
      if (parsed) return parsed;
    }
    const scripted = queue.shift();
    if (scripted) return scripted;
    if (model?.startsWith('fault:')) return parseFakeFault(model.slice('fault:'.length)) ?? { fault: 'none' };
    return { fault: 'none' };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const printableHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${printableHost}:${address.port}`,
    get calls() {
      return calls;
    },
    script(faults) {
      queue.push(...faults);
    },
    reset() {
      calls.length = 0;
      queue.length = 0;
    },
    respondWith(next) {
      responder = next;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function readCredential(
  request: IncomingMessage,
): { scheme: 'bearer' | 'x-api-key'; value: string } | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && /^bearer /i.test(authorization)) {
    return { scheme: 'bearer', value: authorization.slice(7).trim() };
  }
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string') return { scheme: 'x-api-key', value: apiKey };
  return undefined;
}

function describeCredential(credential: { scheme: 'bearer' | 'x-api-key'; value: string }) {
  return {
    scheme: credential.scheme,
    last4: credential.value.slice(-4),
    sha256: createHash('sha256').update(credential.value).digest('hex'),
  };
}

function redactHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    headers[name] = name === 'authorization' || name === 'x-api-key' ? '[redacted]' : text;
  }
  return headers;
}

function readPromptText(body: Record<string, unknown>, dialect: 'openai' | 'anthropic') {
  const messages = Array.isArray(body.messages)
    ? (body.messages as { role?: string; content?: unknown }[])
    : [];
  const parts: string[] = [];
  if (dialect === 'anthropic' && body.system !== undefined) parts.push(contentText(body.system));
  let lastUser = '';
  for (const message of messages) {
    const text = contentText(message.content);
    parts.push(text);
    if (message.role === 'user') lastUser = text;
  }
  return {
    all: parts.join('\n'),
    lastUser,
    messageCount: messages.length + (body.system === undefined ? 0 : 1),
  };
}

/** About four characters per token: cheap, and plausible for English text. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
