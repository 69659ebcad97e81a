/**
 * The provider port with tools, through the real AI SDK adapters against the fake provider: the
 * model asks for tool calls (several in one turn) in each dialect's wire shape, generated and
 * streamed, and sees the results (errors flagged) on the next turn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../src/llm/create-anthropic-provider.ts';
import { createOpenAiProvider } from '../../src/llm/create-openai-provider.ts';
import type { FakeConversation, FakeProvider } from '../../src/llm/fake-provider/index.ts';
import { startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import type {
  ChatMessage,
  GenerateRequest,
  GenerateResult,
  LanguageModelProvider,
} from '../../src/llm/language-model-provider.ts';
import { createMockProvider } from '../../src/llm/mock-provider/index.ts';

const weather = {
  name: 'get_weather',
  description: 'Current weather of a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } },
    required: ['city'],
  },
};
const time = {
  name: 'get_time',
  description: 'Local time of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

let fake: FakeProvider;
const seen: FakeConversation[] = [];

beforeAll(async () => {
  fake = await startFakeProvider({
    respond: (conversation) => {
      seen.push(conversation);
      if (conversation.toolResults.length === 0) {
        return {
          toolCalls: [
            { name: 'get_weather', arguments: { city: 'Oslo', unit: 'c' } },
            { name: 'get_time', arguments: { city: 'Oslo' } },
          ],
        };
      }
      return { text: `results: ${conversation.toolResults.map((result) => result.content).join(' | ')}` };
    },
  });
});
afterAll(() => fake.close());

const dialects: Array<{ name: string; create: () => LanguageModelProvider; model: string }> = [
  {
    name: 'openai',
    model: 'gpt-4o-mini',
    create: () => createOpenAiProvider({ apiKey: 'sk-tools-1', baseUrl: `${fake.url}/v1` }),
  },
  {
    name: 'anthropic',
    model: 'claude-sonnet-4-5',
    create: () => createAnthropicProvider({ apiKey: 'sk-ant-tools-1', baseUrl: `${fake.url}/v1` }),
  },
];

async function streamed(provider: LanguageModelProvider, request: GenerateRequest): Promise<GenerateResult> {
  let result: GenerateResult | undefined;
  for await (const event of provider.stream(request)) if (event.type === 'finish') result = event.result;
  if (!result) throw new Error('no finish event');
  return result;
}

describe.each(dialects)('$name dialect', ({ create, model }) => {
  for (const how of ['generate', 'stream'] as const) {
    it(`${how}: asks for two tool calls in one turn, then answers from their results`, async () => {
      const provider = create();
      const call = (request: GenerateRequest) =>
        how === 'generate' ? provider.generate(request) : streamed(provider, request);
      const messages: ChatMessage[] = [{ role: 'user', content: 'Weather and time in Oslo?' }];
      const first = await call({ model, messages, tools: [weather, time] });
      expect(first.finishReason).toBe('tool-calls');
      expect(first.toolCalls.map((toolCall) => [toolCall.name, toolCall.arguments])).toEqual([
        ['get_weather', { city: 'Oslo', unit: 'c' }],
        ['get_time', { city: 'Oslo' }],
      ]);
      expect(first.usage.outputTokens).toBeGreaterThan(0);
      const offered = seen.at(-1);
      expect(offered?.tools).toEqual(['get_weather', 'get_time']);

      const [weatherCall, timeCall] = first.toolCalls;
      if (!weatherCall || !timeCall) throw new Error('two calls expected');
      const second = await call({
        model,
        tools: [weather, time],
        messages: [
          ...messages,
          { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
          {
            role: 'tool',
            content: '',
            results: [
              { id: weatherCall.id, name: weatherCall.name, value: { temperature: 4 }, isError: false },
              { id: timeCall.id, name: timeCall.name, value: 'the tool timed out', isError: true },
            ],
          },
        ],
      });
      expect(second.finishReason).toBe('stop');
      expect(second.toolCalls).toEqual([]);
      expect(second.text).toContain('{"temperature":4}');
      expect(second.text).toContain('the tool timed out');
      const results = seen.at(-1)?.toolResults ?? [];
      expect(results.map((result) => result.id)).toEqual([weatherCall.id, timeCall.id]);
      if (seen.at(-1)?.dialect === 'anthropic')
        expect(results.map((result) => result.isError)).toEqual([false, true]);
    });
  }
});

describe('mock provider', () => {
  it('calls each tool once with arguments sampled from its schema, then answers', async () => {
    const mock = createMockProvider();
    const messages: ChatMessage[] = [{ role: 'user', content: 'go' }];
    const first = await mock.generate({ model: 'mock', messages, tools: [weather, time] });
    expect(first.finishReason).toBe('tool-calls');
    expect(first.toolCalls.map((toolCall) => toolCall.name)).toEqual(['get_weather', 'get_time']);
    expect(typeof (first.toolCalls[0]?.arguments as { city?: unknown } | undefined)?.city).toBe('string');
    const second = await mock.generate({
      model: 'mock',
      tools: [weather, time],
      messages: [
        ...messages,
        { role: 'assistant', content: '', toolCalls: first.toolCalls },
        {
          role: 'tool',
          content: '',
          results: first.toolCalls.map((toolCall) => ({
            id: toolCall.id,
            name: toolCall.name,
            value: {},
            isError: false,
          })),
        },
      ],
    });
    expect(second.finishReason).toBe('stop');
    expect(second.text.length).toBeGreaterThan(0);
  });
});
