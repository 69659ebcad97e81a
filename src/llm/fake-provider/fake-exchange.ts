import type { ServerResponse } from 'node:http';
import type { JsonSchema } from '../language-model-provider.ts';
import type { FakeFault } from './fake-fault.ts';

/** One request to a completion endpoint, as the dialect writers (OpenAI, Anthropic) see it. */
export interface FakeExchange {
  response: ServerResponse;
  body: Record<string, unknown>;
  model: string;
  /** The fault left to play once HTTP-level faults (status codes, hang, reset) are handled. */
  fault: FakeFault;
  requestId: string;
  /** The answer text for this request; JSON valid against `schema` when one is given. */
  answer(schema: JsonSchema | undefined): string;
  /** Token counts for the prompt of this request and an answer text. */
  usage(answerText: string): { promptTokens: number; completionTokens: number; cachedTokens: number };
  chunkDelayMs: number;
  /** Tool calls a responder scripted for this answer (ids assigned); empty for a text answer. */
  toolCalls: Array<{ id: string; name: string; arguments: unknown }>;
  /** Records the answer status and usage in the call log. */
  finish(
    status: number,
    usage?: { promptTokens: number; completionTokens: number; cachedTokens: number },
  ): void;
}

/** Splits an answer into stream chunks of a few words, like real providers do. */
export function splitIntoChunks(text: string): string[] {
  const pieces = text.match(/\S+\s*|\s+/g) ?? [];
  const chunks: string[] = [];
  for (let index = 0; index < pieces.length; index += 2) chunks.push(pieces.slice(index, index + 2).join(''));
  return chunks.length > 0 ? chunks : [''];
}

/** Collects the plain text of OpenAI- or Anthropic-style content (a string or text blocks). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) =>
      typeof block === 'object' && block !== null && 'text' in block ? String(block.text) : '',
    )
    .join('');
}

export function writeJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Sends half of a JSON body, then kills the socket: what a connection dropped mid-answer looks like. */
export function writeCutJson(response: ServerResponse, body: unknown, headers: Record<string, string>) {
  const text = JSON.stringify(body);
  response.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.write(text.slice(0, Math.floor(text.length / 2)));
  cutConnection(response);
}

export function startEventStream(response: ServerResponse, headers: Record<string, string>) {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  response.flushHeaders();
}

export function delay(milliseconds: number): Promise<void> {
  return milliseconds > 0 ? new Promise((resolve) => setTimeout(resolve, milliseconds)) : Promise.resolve();
}

export function randomSuffix(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let text = '';
  for (let index = 0; index < length; index++) text += alphabet[Math.floor(Math.random() * alphabet.length)];
  return text;
}

/**
 * Ends the connection without finishing the HTTP body. `end()` flushes what was written first, so the
 * client receives the chunks sent so far and then sees the body break off (a plain `destroy()` would
 * drop the unsent chunks too, hiding the partial answer).
 */
export function cutConnection(response: ServerResponse): void {
  response.socket?.end();
}
