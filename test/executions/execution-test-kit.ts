import { createParser } from 'eventsource-parser';
import type { FakeProvider } from '../../src/llm/fake-provider/index.ts';
import { headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import type { TestApp } from '../support/test-app.ts';

/** Calls the API as the fixture's owner token, with JSON in and out. */
export function apiClient(testApp: TestApp, fixture: WorkspaceFixture, credentials = fixture.tokens.owner) {
  const base = `/api/workspaces/${fixture.workspaceId}`;
  const request = async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    testApp.app.inject({
      method,
      url: `${base}${path}`,
      headers: { ...headersFor(credentials), ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  return {
    base,
    request,
    get: (path: string) => request('GET', path),
    post: (path: string, payload: unknown, headers?: Record<string, string>) =>
      request('POST', path, payload, headers),
    put: (path: string, payload: unknown) => request('PUT', path, payload),
    patch: (path: string, payload: unknown) => request('PATCH', path, payload),
    delete: (path: string) => request('DELETE', path),
    async createAgent(body: Record<string, unknown>) {
      const response = await request('POST', '/agents', body);
      if (response.statusCode !== 201) throw new Error(`agent create failed: ${response.body}`);
      return response.json() as { id: string; slug: string; versionId: string; version: number };
    },
    /** Stores a provider key pointing at the fake provider; the first one per provider is the default. */
    async addFakeKey(fake: FakeProvider, provider = 'openai', apiKey = 'sk-test-fake-0001') {
      const response = await request('POST', '/provider-keys', {
        provider,
        label: `fake ${provider}`,
        apiKey,
        baseUrl: `${fake.url}/v1`,
      });
      if (response.statusCode !== 201) throw new Error(`provider key create failed: ${response.body}`);
      return response.json() as { id: string };
    },
  };
}

/** Parses a server-sent event stream into its events, data as JSON. */
export function parseEventStream(
  body: string,
): Array<{ event: string; data: ReturnType<typeof JSON.parse> }> {
  // The maintained parser the console uses too: multi-line data, comments and CRLF handled per spec.
  const events: Array<{ event: string; data: ReturnType<typeof JSON.parse> }> = [];
  const parser = createParser({
    onEvent: (message) => events.push({ event: message.event ?? 'message', data: JSON.parse(message.data) }),
  });
  parser.feed(body);
  // A stream that ends without a blank line still ends its last event.
  parser.feed('\n\n');
  return events;
}
