import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring } from '../../src/security/keyring.ts';
import { makeMasterKey } from '../../src/security/keyring-master-keys.ts';
import { parseAllowedHosts } from '../../src/security/ssrf-guard.ts';
import { rotateMasterKey } from '../../src/services/provider-keys/prepare-keyring.ts';
import {
  type Credentials,
  createWorkspaceFixture,
  headersFor,
  type WorkspaceFixture,
} from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { type McpTestServer, startMcpTestServer } from './mcp-test-server.ts';

describe('MCP servers', () => {
  const token = `mcp_${randomBytes(18).toString('hex')}`;
  const apiKey = `key_${randomBytes(18).toString('hex')}`;
  const oldKey = makeMasterKey('old', randomBytes(32));
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let other: WorkspaceFixture;
  let server: McpTestServer;
  /** Every answer body of the suite, searched for the secrets at the end. */
  const bodies: string[] = [];

  beforeAll(async () => {
    server = await startMcpTestServer({ requiredAuthorization: `Bearer ${token}`, echoSecret: token });
    testApp = await createTestApp({ keyring: createKeyring([oldKey]) });
    fixture = await createWorkspaceFixture(testApp.services, 'mcp');
    other = await createWorkspaceFixture(testApp.services, 'mcp-other');
  });
  afterAll(async () => {
    await testApp.close();
    await server.close();
  });

  function client(workspace: WorkspaceFixture, credentials: Credentials = workspace.tokens.owner) {
    const base = `/api/workspaces/${workspace.workspaceId}/mcp-servers`;
    const send = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object) => {
      const response = await testApp.app.inject({
        method,
        url: `${base}${path}`,
        headers: headersFor(credentials),
        ...(payload === undefined ? {} : { payload }),
      });
      bodies.push(response.body);
      return response;
    };
    return {
      list: () => send('GET', ''),
      get: (id: string) => send('GET', `/${id}`),
      create: (body: object) => send('POST', '', body),
      update: (id: string, body: object) => send('PATCH', `/${id}`, body),
      remove: (id: string) => send('DELETE', `/${id}`),
      tools: (id: string, query = '') => send('GET', `/${id}/tools${query}`),
      call: (id: string, body: object) => send('POST', `/${id}/tools/call`, body),
    };
  }

  async function register(name: string) {
    const response = await client(fixture).create({
      name,
      url: server.url,
      headers: { Authorization: `Bearer ${token}`, 'X-Api-Key': apiKey },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string };
  }

  it('registers a server with its headers encrypted and masked in every answer, and audits it', async () => {
    const api = client(fixture);
    const created = await api.create({
      name: ' Tools ',
      url: server.url,
      headers: { Authorization: `Bearer ${token}`, 'X-Api-Key': apiKey, 'X-Team': 'short' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toEqual({
      id: expect.any(String),
      name: 'Tools',
      url: server.url,
      // In the order given; short values show no characters at all.
      headers: {
        Authorization: `••••${token.slice(-4)}`,
        'X-Api-Key': `••••${apiKey.slice(-4)}`,
        'X-Team': '••••',
      },
      toolCount: null,
      toolsListedAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const id = created.json().id as string;
    expect(Object.keys(created.json().headers)).toEqual(['Authorization', 'X-Api-Key', 'X-Team']);

    const row = await testApp.services.repositories.mcpServers.find(fixture.workspaceId, id);
    expect(row?.headersEnvelope).toMatch(/^v1:old:[\w-]+:[\w-]+:[\w-]+$/);
    expect(JSON.stringify(row)).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(apiKey);

    const viewerList = await client(fixture, fixture.sessions.viewer).list();
    expect(viewerList.statusCode).toBe(200);
    expect(viewerList.json().items.map((item: { id: string }) => item.id)).toContain(id);
    expect((await api.get(id)).json().headers.Authorization).toBe(`••••${token.slice(-4)}`);

    const audit = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}/audit-events?limit=200`,
      headers: headersFor(fixture.tokens.owner),
    });
    bodies.push(audit.body);
    const events = (audit.json().items as Array<{ action: string; target: { id: string }; metadata: object }>)
      .filter((event) => event.target.id === id)
      .map((event) => [event.action, event.metadata]);
    expect(events).toEqual([
      [
        'mcp_server.created',
        { name: 'Tools', url: server.url, headerNames: ['Authorization', 'X-Api-Key', 'X-Team'] },
      ],
    ]);
  });

  it("lists the server's tools with the stored headers, caches the list and refreshes on demand", async () => {
    const { id } = await register('listing');
    const api = client(fixture, fixture.sessions.member);
    const before = server.requests.length;
    const first = await api.tools(id);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().cached).toBe(false);
    const tools = first.json().items as Array<{
      name: string;
      inputSchema: object;
      outputSchema: object | null;
    }>;
    expect(tools.map((tool) => tool.name)).toEqual(['add', 'shout', 'refuse', 'slow']);
    expect(tools[0]).toMatchObject({
      name: 'add',
      title: 'Add two numbers',
      description: 'Adds a and b.',
      inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } },
      outputSchema: { type: 'object', properties: { sum: { type: 'number' } } },
    });
    // The headers reached the server on every request of the exchange.
    const exchange = server.requests.slice(before);
    expect(exchange.length).toBeGreaterThan(0);
    for (const request of exchange) {
      expect(request.headers.authorization).toBe(`Bearer ${token}`);
      expect(request.headers['x-api-key']).toBe(apiKey);
    }

    const second = await api.tools(id);
    expect(second.json()).toMatchObject({ cached: true, listedAt: first.json().listedAt });
    const afterCached = server.requests.length;
    expect((await api.get(id)).json().toolCount).toBe(4);
    const refreshed = await api.tools(id, '?refresh=true');
    expect(refreshed.json().cached).toBe(false);
    expect(server.requests.length).toBeGreaterThan(afterCached);
    expect((await api.tools(id, '?refresh=maybe')).statusCode).toBe(400);
  });

  it('calls a tool with checked arguments: structured content, text content and tool errors', async () => {
    const { id } = await register('calling');
    const api = client(fixture, fixture.tokens.member);
    const added = await api.call(id, { tool: 'add', arguments: { a: 2, b: 40 } });
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json()).toEqual({
      ok: true,
      result: { sum: 42 },
      error: null,
      latencyMs: expect.any(Number),
    });
    expect(server.calls.at(-1)).toEqual({ tool: 'add', arguments: { a: 2, b: 40 } });

    const shouted = await api.call(id, { tool: 'shout', arguments: { text: 'hello' } });
    expect(shouted.json()).toMatchObject({ ok: true, result: 'HELLO' });

    const refused = await api.call(id, { tool: 'refuse', arguments: { why: 'policy' } });
    expect(refused.statusCode).toBe(200);
    expect(refused.json()).toMatchObject({
      ok: false,
      result: null,
      error: 'refused: policy (token [secret])',
    });

    const callsBefore = server.calls.length;
    const invalid = await api.call(id, { tool: 'add', arguments: { a: 'two' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error).toMatchObject({
      code: 'tool_arguments_invalid',
      details: { field: 'arguments' },
    });
    expect(invalid.json().error.message).toContain('/a');
    const unknown = await api.call(id, { tool: 'nope', arguments: {} });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: 'mcp_tool_not_found', details: { field: 'tool' } });
    expect(server.calls.length).toBe(callsBefore);

    const audit = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}/audit-events?limit=200`,
      headers: headersFor(fixture.tokens.owner),
    });
    bodies.push(audit.body);
    const tested = (audit.json().items as Array<{ action: string; target: { id: string }; metadata: object }>)
      .filter((event) => event.target.id === id && event.action === 'mcp_server.tool_tested')
      .map((event) => event.metadata);
    expect(tested).toEqual([
      { name: 'calling', tool: 'refuse', ok: false },
      { name: 'calling', tool: 'shout', ok: true },
      { name: 'calling', tool: 'add', ok: true },
    ]);
    const viewer = await client(fixture, fixture.tokens.viewer).call(id, {
      tool: 'add',
      arguments: { a: 1, b: 1 },
    });
    expect(viewer.statusCode).toBe(403);
  });

  it('reports a server that refuses the credentials as 502 with a hint, without the headers', async () => {
    const created = await client(fixture).create({
      name: 'wrong token',
      url: server.url,
      headers: { Authorization: `Bearer wrong_${apiKey}` },
    });
    const response = await client(fixture).tools(created.json().id, '?refresh=true');
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('mcp_server_unreachable');
    expect(response.json().error.message).toContain('401');
    expect(response.json().error.message).toContain('Check the headers');
    expect(response.body).not.toContain(apiKey);
  });

  it('refuses loopback unless allowed, link-local always, and bad headers naming the field', async () => {
    // The fixture's provider key is on loopback: allowed while the fixture is made, then not.
    const allowedHosts = parseAllowedHosts('');
    const hostnames = allowedHosts.hostnames as Set<string>;
    hostnames.add('127.0.0.1');
    const strict = await createTestApp({ allowedProviderHosts: allowedHosts });
    try {
      const workspace = await createWorkspaceFixture(strict.services, 'mcp-strict');
      hostnames.clear();
      const before = server.requests.length;
      const refused = await strict.app.inject({
        method: 'POST',
        url: `/api/workspaces/${workspace.workspaceId}/mcp-servers`,
        headers: headersFor(workspace.tokens.owner),
        payload: { name: 'local', url: server.url, headers: { Authorization: `Bearer ${token}` } },
      });
      bodies.push(refused.body);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatchObject({
        code: 'mcp_server_url_refused',
        details: { field: 'url' },
      });
      expect(refused.json().error.message).toContain('FLIGHTDECK_ALLOWED_PROVIDER_HOSTS');
      expect(server.requests.length).toBe(before);
    } finally {
      await strict.close();
    }

    const api = client(fixture);
    const metadata = await api.create({ name: 'metadata', url: 'http://169.254.169.254/mcp' });
    expect(metadata.json().error.code).toBe('mcp_server_url_refused');
    expect((await api.create({ name: 'ftp', url: 'ftp://127.0.0.1/mcp' })).statusCode).toBe(400);
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'Bad Name': 'x' }, 'headers.Bad Name'],
      [{ 'X-Line': 'a\r\nInjected: yes' }, 'headers.X-Line'],
      [{ 'Content-Type': 'text/plain' }, 'headers.Content-Type'],
      [{ 'Mcp-Session-Id': 'fixed' }, 'headers.Mcp-Session-Id'],
      [{ 'X-Empty': '' }, 'headers.X-Empty'],
    ];
    for (const [headers, field] of cases) {
      const response = await api.create({ name: `bad ${field}`, url: server.url, headers });
      expect(response.statusCode, field).toBe(400);
      expect(response.json().error, field).toMatchObject({
        code: 'mcp_server_header_invalid',
        details: { field },
      });
      expect(response.body).not.toContain('Injected: yes');
    }
    expect((await api.create({ name: '', url: server.url })).json().error.code).toBe(
      'mcp_server_name_invalid',
    );
    expect((await api.create({ name: 'extra', url: server.url, id: 'mine' })).statusCode).toBe(400);
  });

  it('never follows a redirect to a refused address', async () => {
    // An allowed (loopback) host whose endpoint redirects to the cloud metadata address.
    const redirector = createServer((_request, response) => {
      response.writeHead(307, { location: 'http://169.254.169.254/mcp' }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = redirector.address() as AddressInfo;
      const created = await client(fixture).create({
        name: 'redirector',
        url: `http://127.0.0.1:${port}/mcp`,
      });
      expect(created.statusCode).toBe(201);
      const listed = await client(fixture).tools(created.json().id);
      expect(listed.statusCode).toBe(400);
      expect(listed.json().error.code).toBe('mcp_server_url_refused');
      expect(listed.json().error.message).toContain('169.254.169.254');
    } finally {
      await new Promise((resolve) => redirector.close(resolve));
    }
  });

  it('renames, replaces headers, moves only with the headers again, and refuses a taken name', async () => {
    const { id } = await register('editable');
    const api = client(fixture);
    await api.tools(id);
    const moved = await api.update(id, { url: `${server.url}?v=2` });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().error).toMatchObject({
      code: 'headers_required_for_url_change',
      details: { field: 'headers' },
    });
    const taken = await api.update(id, { name: 'listing' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('mcp_server_name_taken');

    const renamed = await api.update(id, { name: 'edited' });
    expect(renamed.json()).toMatchObject({ name: 'edited', toolCount: 4 });
    const rekeyed = await api.update(id, {
      url: `${server.url}?v=2`,
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(rekeyed.statusCode, rekeyed.body).toBe(200);
    // A new address or credentials: the old list says nothing about them.
    expect(rekeyed.json()).toMatchObject({
      url: `${server.url}?v=2`,
      headers: { Authorization: `••••${token.slice(-4)}` },
      toolCount: null,
    });
    expect((await api.tools(id)).json().items).toHaveLength(4);
    const dropped = await api.update(id, { headers: null });
    expect(dropped.json().headers).toEqual({});
    expect((await api.tools(id, '?refresh=true')).statusCode).toBe(502);

    const member = await client(fixture, fixture.tokens.member).update(id, { name: 'by member' });
    expect(member.statusCode).toBe(403);
    expect((await client(fixture, fixture.tokens.admin).remove(id)).statusCode).toBe(204);
    expect((await api.get(id)).statusCode).toBe(404);
    expect((await api.remove(id)).json().error.code).toBe('mcp_server_not_found');
  });

  it("keeps another workspace's servers out of reach", async () => {
    const { id } = await register('private');
    const foreign = client(other);
    for (const response of [
      await foreign.get(id),
      await foreign.tools(id),
      await foreign.call(id, { tool: 'add', arguments: { a: 1, b: 2 } }),
      await foreign.update(id, { name: 'stolen' }),
      await foreign.remove(id),
    ]) {
      expect(response.statusCode).toBe(404);
    }
    expect((await foreign.list()).json().items).toEqual([]);
  });

  // Last of the suite: afterwards the app's own keyring (the old key only) cannot read the envelopes.
  it('re-encrypts server headers with a master key rotation', async () => {
    const { id } = await register('rotated');
    const newKey = makeMasterKey('new', randomBytes(32));
    const rotated = await rotateMasterKey({
      keyring: createKeyring([newKey, oldKey]),
      repositories: testApp.services.repositories,
    });
    expect(rotated.rotated).toBeGreaterThan(0);
    const row = await testApp.services.repositories.mcpServers.find(fixture.workspaceId, id);
    expect(row?.headersEnvelope).toMatch(/^v1:new:/);
    const headers = createKeyring([newKey]).decrypt(row?.headersEnvelope ?? '', {
      workspaceId: fixture.workspaceId,
      secretId: id,
      purpose: 'mcp-server-headers',
    });
    expect(JSON.parse(headers)).toEqual({ Authorization: `Bearer ${token}`, 'X-Api-Key': apiKey });
  });

  it('never answers a header value', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) {
      expect(body).not.toContain(token);
      expect(body).not.toContain(apiKey);
    }
  });
});

// The audit insert fails inside the database (a trigger), as a full disk would: the change it
// records must not be left behind without it.
describe('an MCP server change and its audit event', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;

  beforeAll(async () => {
    testApp = await createTestApp();
    fixture = await createWorkspaceFixture(testApp.services, 'mcp-audit');
  });
  afterAll(() => testApp.close());

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object) =>
    testApp.app.inject({
      method,
      url: `/api/workspaces/${fixture.workspaceId}/mcp-servers${path}`,
      headers: headersFor(fixture.tokens.owner),
      ...(payload ? { payload } : {}),
    });

  it('registers, changes or deletes nothing when the event cannot be written', async () => {
    const existing = await call('POST', '', { name: 'kept', url: 'http://127.0.0.1:9/mcp' });
    expect(existing.statusCode).toBe(201);
    await testApp.store.database.execute(
      sql.raw(`create function refuse_audit() returns trigger language plpgsql as $$
        begin raise exception 'audit log unavailable'; end $$`),
    );
    await testApp.store.database.execute(
      sql.raw(
        'create trigger refuse_audit before insert on audit_events for each row execute function refuse_audit()',
      ),
    );
    const before = (await call('GET', '')).json();
    expect((await call('POST', '', { name: 'unaudited', url: 'http://127.0.0.1:9/mcp' })).statusCode).toBe(
      500,
    );
    const id = existing.json().id as string;
    expect(
      (await call('PATCH', `/${id}`, { name: 'renamed', headers: { 'X-Key': 'value' } })).statusCode,
    ).toBe(500);
    expect((await call('DELETE', `/${id}`)).statusCode).toBe(500);
    expect((await call('GET', '')).json()).toEqual(before);
  });
});
