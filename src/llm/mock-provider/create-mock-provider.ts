import { systemClock } from '../clock.ts';
import type {
  GenerateRequest,
  GenerateResult,
  LanguageModelProvider,
  ProviderStreamEvent,
  ToolCallRequest,
} from '../language-model-provider.ts';
import { countPromptTokens, countTextTokens } from '../pricing/count-prompt-tokens.ts';
import type { ProviderErrorCode } from '../provider-error.ts';
import { ProviderError } from '../provider-error.ts';
import { sampleFromSchema } from '../schema-sample.ts';
import { hashText, seededRandom } from '../seeded-random.ts';

export interface MockProviderSettings {
  /** Added before the answer (and spread over stream chunks), to demo latency. */
  latencyMs?: number;
  /** Every call fails with this code, to demo error handling, retries and fallback. */
  failWith?: ProviderErrorCode;
  /** With `failWith`: only the first N calls fail, then calls succeed. Unlimited by default. */
  failTimes?: number;
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
}

const vocabulary = [
  'the',
  'agent',
  'reviewed',
  'input',
  'and',
  'found',
  'a',
  'clear',
  'answer',
  'with',
  'three',
  'points',
  'summary',
  'risk',
  'low',
  'next',
  'step',
  'is',
  'to',
  'confirm',
  'details',
  'before',
  'release',
  'today',
];

/** What a JSON-mode request without a schema gets: some object, as a real model would answer. */
const jsonModeSample = {
  type: 'object',
  properties: { answer: { type: 'string' } },
  required: ['answer'],
};

/**
 * The provider for "mock mode": no key, no network. The same prompt and seed always give the same
 * answer; structured requests get JSON valid against their schema; usage is counted with a real
 * tokenizer so costs and budgets behave as they would live.
 */
export function createMockProvider(settings: MockProviderSettings = {}): LanguageModelProvider {
  const sleep = settings.sleep ?? systemClock.sleep;
  let failuresLeft = settings.failTimes ?? Number.POSITIVE_INFINITY;

  function answer(request: GenerateRequest): { text: string; object: unknown } {
    const key = JSON.stringify([request.model, request.system ?? '', request.messages, request.seed ?? 0]);
    const random = seededRandom(hashText(key));
    if (request.outputSchema) {
      const object = sampleFromSchema(request.outputSchema, random);
      return { text: JSON.stringify(object), object };
    }
    if (request.jsonMode) {
      return { text: JSON.stringify(sampleFromSchema(jsonModeSample, random)), object: undefined };
    }
    const length = 12 + Math.floor(random() * 20);
    const words: string[] = [];
    for (let index = 0; index < length; index++)
      words.push(vocabulary[Math.floor(random() * vocabulary.length)] ?? 'ok');
    const text = `${words.join(' ')}.`;
    return { text: text.charAt(0).toUpperCase() + text.slice(1), object: undefined };
  }

  /**
   * With tools: the first answer calls every tool the conversation has not called yet, once, with
   * arguments sampled from its schema; once each has a result, the mock answers as usual.
   */
  function toolCallsFor(request: GenerateRequest): ToolCallRequest[] {
    if (!request.tools || request.tools.length === 0) return [];
    const called = new Set<string>();
    for (const message of request.messages)
      if (message.role === 'assistant') for (const call of message.toolCalls ?? []) called.add(call.name);
    const random = seededRandom(
      hashText(JSON.stringify([request.model, request.messages.length, request.seed ?? 0])),
    );
    return request.tools
      .filter((tool) => !called.has(tool.name))
      .map((tool, index) => ({
        id: `mock_call_${request.messages.length}_${index}`,
        name: tool.name,
        arguments: sampleFromSchema(tool.parameters, random),
      }));
  }

  function maybeFail(request: GenerateRequest): void {
    if (!settings.failWith || failuresLeft <= 0) return;
    failuresLeft--;
    throw new ProviderError({
      code: settings.failWith,
      provider: 'mock',
      model: request.model,
      detail: 'the mock provider was told to fail',
      reason: 'mock_fault',
    });
  }

  function result(
    request: GenerateRequest,
    text: string,
    object: unknown,
    startedAt: number,
  ): GenerateResult {
    const inputTokens = countPromptTokens(request);
    let outputTokens = countTextTokens(text);
    let finishReason: GenerateResult['finishReason'] = 'stop';
    if (
      request.maxOutputTokens !== undefined &&
      outputTokens > request.maxOutputTokens &&
      !request.outputSchema
    ) {
      outputTokens = request.maxOutputTokens;
      finishReason = 'length';
    }
    return {
      text,
      object,
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, cachedInputTokens: 0 },
      finishReason,
      requestId: `mock-${hashText(text).toString(16)}`,
      model: request.model,
      latencyMs: performance.now() - startedAt,
      timeToFirstTokenMs: undefined,
      toolCalls: [],
    };
  }

  function toolCallResult(request: GenerateRequest, toolCalls: ToolCallRequest[], startedAt: number) {
    const inputTokens = countPromptTokens(request);
    const outputTokens = countTextTokens(JSON.stringify(toolCalls));
    return {
      ...result(request, '', undefined, startedAt),
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, cachedInputTokens: 0 },
      finishReason: 'tool-calls' as const,
      toolCalls,
    };
  }

  return {
    kind: 'mock',
    baseUrl: '',
    async generate(request) {
      const startedAt = performance.now();
      if (settings.latencyMs) await sleep(settings.latencyMs, request.abortSignal);
      maybeFail(request);
      const toolCalls = toolCallsFor(request);
      if (toolCalls.length > 0) return toolCallResult(request, toolCalls, startedAt);
      const { text, object } = answer(request);
      return result(request, text, object, startedAt);
    },
    async *stream(request): AsyncIterable<ProviderStreamEvent> {
      const startedAt = performance.now();
      maybeFail(request);
      const toolCalls = toolCallsFor(request);
      if (toolCalls.length > 0) {
        yield { type: 'finish', result: toolCallResult(request, toolCalls, startedAt) };
        return;
      }
      const { text, object } = answer(request);
      const chunks = text.match(/\S+\s*/g) ?? [text];
      const pause = settings.latencyMs ? settings.latencyMs / chunks.length : 0;
      let timeToFirstTokenMs: number | undefined;
      for (const chunk of chunks) {
        if (pause) await sleep(pause, request.abortSignal);
        request.abortSignal?.throwIfAborted();
        timeToFirstTokenMs ??= performance.now() - startedAt;
        yield { type: 'text-delta', text: chunk };
      }
      yield { type: 'finish', result: { ...result(request, text, object, startedAt), timeToFirstTokenMs } };
    },
  };
}
