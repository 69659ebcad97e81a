import OpenAI, {
  APIError,
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileJsonSchema } from '../../src/core/json-schema.ts';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The official openai SDK against a real listening server, the fake provider behind it: what an
 * integrator's code sees when it points its base URL at Flightdeck.
 */

const sentimentSchema = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    score: { type: 'number' },
  },
  required: ['sentiment', 'score'],
  additionalProperties: false,
};

function tokenOf(fixture: WorkspaceFixture, role: keyof WorkspaceFixture['tokens'] = 'owner'): string {
  const credentials = fixture.tokens[role];
  if (credentials.kind !== 'token') throw new Error('fixture token missing');
  return credentials.token;
}

type Message = { role: string; content: string };
/** The request body the fake provider received in a call. */
function bodyOf(call: { body: unknown } | undefined): { messages: Message[]; response_format?: unknown } {
  if (!call) throw new Error('the provider was not called');
  return call.body as { messages: Message[]; response_format?: unknown };
}
const sentMessages = (call: { body: unknown } | undefined) => bodyOf(call).messages;

describe('OpenAI-compatible endpoint through the official openai SDK', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let baseURL: string;
  let fixture: WorkspaceFixture;
  let client: OpenAI;
  let api: ReturnType<typeof apiClient>;
  let echo: { id: string; versionId: string };

  const clientFor = (apiKey: string) => new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  /** The fake provider's calls made by one action. */
  async function callsDuring(action: () => Promise<unknown>) {
    const before = fake.calls.length;
    await action();
    return fake.calls.slice(before);
  }

  beforeAll(async () => {
    fake = await startFakeProvider();
    testApp = await createTestApp();
    const address = await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    baseURL = `${address}/v1`;
    fixture = await createWorkspaceFixture(testApp.services, 'openai');
    api = apiClient(testApp, fixture);
    await api.addFakeKey(fake, 'openai');
    echo = await api.createAgent({
      name: 'Echo',
      slug: 'echo',
      provider: 'openai',
      model: 'gpt-4o-mini',
      systemPrompt: 'You repeat what you are told.',
      promptTemplate: 'Say: {{ input }}',
      maxTokens: 300,
    });
    await api.createAgent({
      name: 'Sentiment',
      slug: 'sentiment',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Classify: {{ input.text }}',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      outputSchema: sentimentSchema,
    });
    client = clientFor(tokenOf(fixture));
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it("lists the workspace's agents as models and reads one", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['agent/echo', 'agent/sentiment']));

    const model = await client.models.retrieve('agent/echo');
    expect(model).toMatchObject({ id: 'agent/echo', object: 'model', owned_by: 'flightdeck' });
    // curl users write the slash as it is.
    const response = await fetch(`${baseURL}/models/agent/sentiment@1`, {
      headers: { authorization: `Bearer ${tokenOf(fixture)}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: 'agent/sentiment@1', version: 1, name: 'Sentiment' });
  });

  it('answers a completion with the agent output and usage in OpenAI names', async () => {
    let completion: OpenAI.Chat.Completions.ChatCompletion | undefined;
    const calls = await callsDuring(async () => {
      completion = await client.chat.completions.create({
        model: 'agent/echo',
        messages: [
          { role: 'system', content: 'The client has its own idea of a system prompt.' },
          { role: 'user', content: 'hello there' },
        ],
      });
    });
    expect(completion?.object).toBe('chat.completion');
    expect(completion?.id).toMatch(/^chatcmpl-/);
    expect(completion?.choices).toHaveLength(1);
    expect(completion?.choices[0]?.message.content).toBe('Fake gpt-4o-mini answer to: Say: hello there');
    expect(completion?.choices[0]?.finish_reason).toBe('stop');
    expect(completion?.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(completion?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion?.usage?.total_tokens).toBe(
      (completion?.usage?.prompt_tokens ?? 0) + (completion?.usage?.completion_tokens ?? 0),
    );
    // The agent's system prompt reaches the provider; the client's system message does not.
    expect(calls).toHaveLength(1);
    expect(sentMessages(calls[0])).toEqual([
      { role: 'system', content: 'You repeat what you are told.' },
      { role: 'user', content: 'Say: hello there' },
    ]);
  });

  it('streams chunks, then a usage chunk when include_usage is asked, then [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'agent/echo',
      messages: [{ role: 'user', content: 'stream this please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      content += chunk.choices[0]?.delta.content ?? '';
    }
    expect(content).toBe('Fake gpt-4o-mini answer to: Say: stream this please');
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last?.usage?.total_tokens).toBe(
      (last?.usage?.prompt_tokens ?? 0) + (last?.usage?.completion_tokens ?? 0),
    );
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);

    // Without include_usage there is no usage chunk.
    const plain = await client.chat.completions.create({
      model: 'agent/echo',
      messages: [{ role: 'user', content: 'again' }],
      stream: true,
    });
    const plainChunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of plain) plainChunks.push(chunk);
    expect(plainChunks.every((chunk) => chunk.choices.length === 1 && chunk.usage === undefined)).toBe(true);
  });

  it('answers JSON valid against the output schema, text input filling the one required field', async () => {
    const validator = compileJsonSchema(sentimentSchema, 'outputSchema');
    let content: string | null | undefined;
    const calls = await callsDuring(async () => {
      const completion = await client.chat.completions.create({
        model: 'agent/sentiment',
        messages: [{ role: 'user', content: 'I love this product' }],
      });
      content = completion.choices[0]?.message.content;
    });
    const parsed = JSON.parse(content ?? '');
    expect(validator.validate(parsed)).toEqual([]);
    expect(sentMessages(calls[0]).at(-1)?.content).toBe('Classify: I love this product');

    // A JSON object in the message is the input as it is; streamed, the JSON arrives whole.
    const stream = await client.chat.completions.create({
      model: 'agent/sentiment',
      messages: [{ role: 'user', content: JSON.stringify({ text: 'meh' }) }],
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(validator.validate(JSON.parse(streamed))).toEqual([]);
  });

  it('sends earlier turns as history before the rendered prompt', async () => {
    const calls = await callsDuring(() =>
      client.chat.completions.create({
        model: 'agent/echo',
        messages: [
          { role: 'user', content: 'first question' },
          { role: 'assistant', content: 'first answer' },
          { role: 'system', content: 'ignored' },
          { role: 'user', content: [{ type: 'text', text: 'second question' }] },
        ],
      }),
    );
    expect(sentMessages(calls[0])).toEqual([
      { role: 'system', content: 'You repeat what you are told.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'Say: second question' },
    ]);
  });

  it('runs the published version; pins one with agent/<slug>@<number>, @<label> or @<version id>', async () => {
    const patched = await api.patch(`/agents/${echo.id}`, { promptTemplate: 'Now say: {{ input }}' });
    expect(patched.json()).toMatchObject({ version: 2, publishedVersion: 1 });
    const answer = async (model: string) =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'pinned' }] });

    // Saving made a draft: callers that name no version still get the published one.
    const beforePublish = await answer('agent/echo');
    expect(beforePublish.choices[0]?.message.content).toBe('Fake gpt-4o-mini answer to: Say: pinned');
    const draft = await answer('agent/echo@2');
    expect(draft.choices[0]?.message.content).toContain('Now say: pinned');
    expect((await api.put(`/agents/${echo.id}/labels/staging`, { version: 2 })).statusCode).toBe(200);
    const staging = await answer('agent/echo@staging');
    expect(staging.system_fingerprint).toBe(patched.json().versionId);
    await expect(answer('agent/echo@canary')).rejects.toBeInstanceOf(NotFoundError);
    expect((await api.post(`/agents/${echo.id}/publish`, {})).json().publishedVersion).toBe(2);

    const current = await answer('agent/echo');
    expect(current.choices[0]?.message.content).toContain('Now say: pinned');
    expect(current.system_fingerprint).toBe(patched.json().versionId);

    const first = await answer('agent/echo@1');
    expect(first.choices[0]?.message.content).toBe('Fake gpt-4o-mini answer to: Say: pinned');
    expect(first.system_fingerprint).toBe(echo.versionId);
    const byId = await answer(`agent/echo@${echo.versionId}`);
    expect(byId.system_fingerprint).toBe(echo.versionId);

    const executionId = first.id.replace(/^chatcmpl-/, '');
    const record = (await api.get(`/executions/${executionId}`)).json();
    expect(record.agentVersion).toBe(1);

    await expect(answer('agent/echo@9')).rejects.toBeInstanceOf(NotFoundError);
    await api.patch(`/agents/${echo.id}`, { promptTemplate: 'Say: {{ input }}', publish: true });
  });

  it('passes response_format json_object to the provider for an agent without an output schema', async () => {
    let content: string | null | undefined;
    const calls = await callsDuring(async () => {
      const completion = await client.chat.completions.create({
        model: 'agent/echo',
        messages: [{ role: 'user', content: 'answer in JSON' }],
        response_format: { type: 'json_object' },
      });
      content = completion.choices[0]?.message.content;
    });
    expect(bodyOf(calls[0]).response_format).toEqual({
      type: 'json_object',
    });
    expect(typeof JSON.parse(content ?? '')).toBe('object');

    const refused = await client.chat.completions
      .create({
        model: 'agent/sentiment',
        messages: [{ role: 'user', content: 'x' }],
        response_format: { type: 'json_schema', json_schema: { name: 'other', schema: { type: 'object' } } },
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BadRequestError);
    expect((refused as BadRequestError).param).toBe('response_format');
  });

  it('answers a wrong token with AuthenticationError (401)', async () => {
    const error = await clientFor('fd_not_a_real_token')
      .chat.completions.create({ model: 'agent/echo', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as AuthenticationError).code).toBe('invalid_api_key');
    await expect(clientFor('fd_not_a_real_token').models.list()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('answers an unknown agent with NotFoundError, code model_not_found', async () => {
    for (const model of ['agent/nobody', 'gpt-4o-mini']) {
      const error = await client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'hi' }] })
        .catch((caught: unknown) => caught);
      expect(error, model).toBeInstanceOf(NotFoundError);
      expect((error as NotFoundError).code).toBe('model_not_found');
      expect((error as NotFoundError).param).toBe('model');
    }
    await expect(client.models.retrieve('agent/nobody')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses what one execution cannot answer with BadRequestError naming the field', async () => {
    const refusal = async (body: Record<string, unknown>) => {
      const error = await client.chat.completions
        .create({ model: 'agent/echo', messages: [{ role: 'user', content: 'hi' }], ...body })
        .catch((caught: unknown) => caught);
      expect(error, JSON.stringify(body)).toBeInstanceOf(BadRequestError);
      return error as BadRequestError;
    };
    expect((await refusal({ n: 2 })).param).toBe('n');
    expect((await refusal({ max_tokens: 301 })).param).toBe('max_tokens');
    expect((await refusal({ max_completion_tokens: 5_000 })).param).toBe('max_completion_tokens');
    expect((await refusal({ temperature: 2.5 })).param).toBe('temperature');
    expect((await refusal({ messages: [{ role: 'assistant', content: 'no user' }] })).param).toBe('messages');
    expect((await refusal({ messages: [{ role: 'tool', content: 'x', tool_call_id: 'a' }] })).param).toBe(
      'messages[0].role',
    );
    expect((await refusal({ messages: [] })).param).toBe('messages');
    // Within the agent's limits the overrides reach the provider.
    const calls = await callsDuring(() =>
      client.chat.completions.create({
        model: 'agent/echo',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 50,
        temperature: 0.2,
      }),
    );
    expect(calls[0]?.body).toMatchObject({ max_tokens: 50, temperature: 0.2 });

    // Plain text cannot fill an input schema with two required fields.
    await api.createAgent({
      name: 'Two fields',
      slug: 'two-fields',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: '{{ input.a }} {{ input.b }}',
      inputSchema: {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'integer' } },
        required: ['a', 'b'],
      },
    });
    const unmappable = await client.chat.completions
      .create({ model: 'agent/two-fields', messages: [{ role: 'user', content: 'just text' }] })
      .catch((caught: unknown) => caught);
    expect(unmappable).toBeInstanceOf(BadRequestError);
    expect((unmappable as BadRequestError).param).toBe('messages[0].content');
    expect((unmappable as BadRequestError).message).toMatch(
      /a \(string, required\), b \(integer, required\)/,
    );
    const invalid = await client.chat.completions
      .create({ model: 'agent/two-fields', messages: [{ role: 'user', content: '{"a": "x", "b": "y"}' }] })
      .catch((caught: unknown) => caught);
    expect(invalid).toBeInstanceOf(BadRequestError);
    expect((invalid as BadRequestError).code).toBe('input_invalid');
    expect((invalid as BadRequestError).param).toBe('messages');
  });

  it('keeps a viewer token to reading models', async () => {
    const viewer = clientFor(tokenOf(fixture, 'viewer'));
    const ids: string[] = [];
    for await (const model of viewer.models.list()) ids.push(model.id);
    expect(ids).toContain('agent/echo');
    await expect(
      viewer.chat.completions.create({ model: 'agent/echo', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('answers 402 when the budget is exhausted, before any provider call', async () => {
    const broke = await createWorkspaceFixture(testApp.services, 'openai-budget');
    const brokeApi = apiClient(testApp, broke);
    await brokeApi.addFakeKey(fake, 'openai');
    await brokeApi.createAgent({ name: 'Priced', slug: 'priced', provider: 'openai', model: 'gpt-4o-mini' });
    await brokeApi.patch('', { settings: { monthlyBudgetUsd: 0 } });
    let error: unknown;
    const calls = await callsDuring(async () => {
      error = await clientFor(tokenOf(broke))
        .chat.completions.create({ model: 'agent/priced', messages: [{ role: 'user', content: 'hi' }] })
        .catch((caught: unknown) => caught);
    });
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(402);
    expect((error as APIError).code).toBe('budget_exceeded');
    expect((error as APIError).type).toBe('insufficient_quota');
    expect(calls).toHaveLength(0);
  });

  it('answers RateLimitError with Retry-After past the workspace rate limit', async () => {
    const busy = await createWorkspaceFixture(testApp.services, 'openai-limit');
    const busyApi = apiClient(testApp, busy);
    await busyApi.createAgent({ name: 'Mock', slug: 'mock', provider: 'mock', model: 'mock-model' });
    await busyApi.patch('', { settings: { rateLimitPerMinute: 1 } });
    const busyClient = clientFor(tokenOf(busy));
    const ask = () =>
      busyClient.chat.completions.create({
        model: 'agent/mock',
        messages: [{ role: 'user', content: 'hi' }],
      });
    await ask();
    const error = await ask().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).code).toBe('rate_limit_exceeded');
    expect(Number((error as RateLimitError).headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers a provider failure with a 5xx, streamed or not', async () => {
    const failing = await createWorkspaceFixture(testApp.services, 'openai-failing');
    const failingApi = apiClient(testApp, failing);
    await failingApi.addFakeKey(fake, 'openai');
    await failingApi.createAgent({
      name: 'Down',
      slug: 'down',
      provider: 'openai',
      model: 'fault:unavailable',
      retry: { maxAttempts: 1 },
    });
    const failingClient = clientFor(tokenOf(failing));
    for (const stream of [false, true]) {
      const error = await failingClient.chat.completions
        .create({ model: 'agent/down', messages: [{ role: 'user', content: 'hi' }], stream })
        .catch((caught: unknown) => caught);
      expect(error, `stream ${stream}`).toBeInstanceOf(APIError);
      expect((error as APIError).status).toBe(503);
      expect((error as APIError).code).toBe('provider_unavailable');
      expect((error as APIError).error).toMatchObject({ execution_id: expect.any(String) });
    }
  });

  it('ends a stream cut after its first text with an error event the SDK raises', async () => {
    const cut = await createWorkspaceFixture(testApp.services, 'openai-cut');
    const cutApi = apiClient(testApp, cut);
    await cutApi.addFakeKey(fake, 'openai');
    await cutApi.createAgent({
      name: 'Cut',
      slug: 'cut',
      provider: 'openai',
      model: 'fault:stream_cut;after-chunks=2',
      retry: { maxAttempts: 1 },
    });
    const stream = await clientFor(tokenOf(cut)).chat.completions.create({
      model: 'agent/cut',
      messages: [{ role: 'user', content: 'a long enough question to stream in several chunks' }],
      stream: true,
    });
    let content = '';
    const error = await (async () => {
      for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    })().catch((caught: unknown) => caught);
    expect(content.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).code).toBe('provider_unavailable');
    const executionId = ((error as APIError).error as { execution_id?: string }).execution_id;
    expect((await cutApi.get(`/executions/${executionId}`)).json()).toMatchObject({
      status: 'failed',
      trigger: 'openai-compat',
    });
  });

  it('records every call as an execution with trigger openai-compat, in history and stats', async () => {
    const completion = await client.chat.completions.create({
      model: 'agent/echo',
      messages: [{ role: 'user', content: 'for the record' }],
    });
    const history = (await api.get('/executions?trigger=openai-compat&limit=200')).json();
    expect(history.items.length).toBeGreaterThan(5);
    expect(history.items.every((item: { trigger: string }) => item.trigger === 'openai-compat')).toBe(true);
    const record = history.items.find((item: { id: string }) => `chatcmpl-${item.id}` === completion.id);
    expect(record).toMatchObject({
      status: 'completed',
      mode: 'live',
      input: 'for the record',
      output: 'Fake gpt-4o-mini answer to: Say: for the record',
      usage: {
        inputTokens: completion.usage?.prompt_tokens,
        outputTokens: completion.usage?.completion_tokens,
      },
    });
    const stats = (await api.get(`/executions/stats?agentId=${echo.id}`)).json();
    expect(stats.totals.count).toBeGreaterThanOrEqual(
      history.items.filter((item: { agentId: string }) => item.agentId === echo.id).length,
    );
  });

  it('documents the routes in OpenAPI under the openai tag', async () => {
    const document = (await testApp.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(document.paths['/v1/chat/completions'].post.tags).toEqual(['openai']);
    expect(document.paths['/v1/models'].get.tags).toEqual(['openai']);
  });
});
