import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlightdeckError } from '../../src/core/errors.ts';
import { newId } from '../../src/core/ids.ts';
import type { ToolCallContext } from '../../src/services/tools/tool.ts';
import type { ToolDefinitionEntry } from '../../src/services/tools/tool-definition.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { type McpTestServer, startMcpTestServer } from './mcp-test-server.ts';

/** The `mcp` tool kind as the loop uses it: resolve an agent's entry, then call the tool. */
describe('the mcp tool kind', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let server: McpTestServer;
  let serverId: string;

  beforeAll(async () => {
    server = await startMcpTestServer({ requiredAuthorization: 'Bearer resolver-token-123456' });
    testApp = await createTestApp();
    fixture = await createWorkspaceFixture(testApp.services, 'mcp-kind');
    const created = await testApp.services.mcpServers.create(
      { workspaceId: fixture.workspaceId, role: 'owner', userId: fixture.users.owner, tokenId: null },
      { userId: fixture.users.owner, tokenId: null, address: null, userAgent: null },
      { name: 'calculator', url: server.url, headers: { Authorization: 'Bearer resolver-token-123456' } },
    );
    serverId = created.id;
  });
  afterAll(async () => {
    await testApp.close();
    await server.close();
  });

  const entry = (fields: Record<string, unknown>): ToolDefinitionEntry =>
    ({ kind: 'mcp', name: 'add_numbers', server: serverId, tool: 'add', ...fields }) as ToolDefinitionEntry;
  const resolveContext = (mode: 'live' | 'mock' = 'live', workspaceId = fixture.workspaceId) => {
    const context = {
      workspaceId,
      mode,
      agentId: fixture.targetAgentId,
      access: { workspaceId, role: 'owner' as const, userId: fixture.users.owner, tokenId: null },
      trigger: 'test' as const,
      depth: 0,
    };
    return context;
  };
  const callContext = (mode: 'live' | 'mock' = 'live', timeoutMs = 5_000): ToolCallContext => ({
    workspaceId: fixture.workspaceId,
    executionId: newId(),
    abortSignal: AbortSignal.timeout(timeoutMs),
    timeoutMs,
    mode,
  });

  it("resolves an entry into a tool with the server's schemas and calls it", async () => {
    const [tool] = await testApp.services.mcpToolKind.resolve(
      entry({ approval: 'required' }),
      resolveContext(),
    );
    expect(tool).toMatchObject({
      kind: 'mcp',
      name: 'add_numbers',
      description: 'Adds a and b.',
      approval: 'required',
      timeoutMs: 30_000,
      resultSchema: { type: 'object', properties: { sum: { type: 'number' } } },
    });
    // The server's draft-07 `$schema` is dropped: the loop validates with 2020-12.
    expect(tool?.parameters).not.toHaveProperty('$schema');
    expect(tool?.parameters).toMatchObject({ type: 'object', required: ['a', 'b'] });
    const result = await tool?.call({ a: 20, b: 22 }, callContext());
    expect(result).toEqual({ value: { sum: 42 } });
    expect(server.calls.at(-1)).toEqual({ tool: 'add', arguments: { a: 20, b: 22 } });
  });

  it("turns the tool's isError result and a server that is too slow into tool errors", async () => {
    const [refuse] = await testApp.services.mcpToolKind.resolve(
      entry({ name: 'refuse', tool: 'refuse', description: 'Our words' }),
      resolveContext(),
    );
    expect(refuse?.description).toBe('Our words');
    const failure = await refuse?.call({ why: 'no' }, callContext()).catch((error: unknown) => error);
    expect(FlightdeckError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'mcp_tool_error', message: 'refused: no' });

    const [slow] = await testApp.services.mcpToolKind.resolve(
      entry({ name: 'slow', tool: 'slow' }),
      resolveContext(),
    );
    const started = performance.now();
    const timedOut = await slow
      ?.call({ ms: 5_000 }, callContext('live', 300))
      .catch((error: unknown) => error);
    expect(timedOut).toMatchObject({ code: 'mcp_server_timeout' });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('refuses a result over 1 MiB as a tool error', async () => {
    const [shout] = await testApp.services.mcpToolKind.resolve(
      entry({ name: 'shout', tool: 'shout' }),
      resolveContext(),
    );
    const huge = await shout
      ?.call({ text: 'x'.repeat(1024 * 1024 + 1) }, callContext())
      .catch((error) => error);
    expect(huge).toMatchObject({ code: 'mcp_tool_result_too_large', kind: 'bad_gateway' });
    await expect(shout?.call({ text: 'x'.repeat(1000) }, callContext())).resolves.toEqual({
      value: 'X'.repeat(1000),
    });
  });

  it('works with a stateful server and ends the session it opened after each call', async () => {
    const stateful = await startMcpTestServer({ stateful: true });
    try {
      const created = await testApp.services.mcpServers.create(
        { workspaceId: fixture.workspaceId, role: 'owner', userId: fixture.users.owner, tokenId: null },
        { userId: fixture.users.owner, tokenId: null, address: null, userAgent: null },
        { name: 'stateful', url: stateful.url },
      );
      const [tool] = await testApp.services.mcpToolKind.resolve(
        entry({ server: created.id, name: 'add', tool: 'add' }),
        resolveContext(),
      );
      expect(await tool?.call({ a: 1, b: 2 }, callContext())).toEqual({ value: { sum: 3 } });
      expect(await tool?.call({ a: 3, b: 4 }, callContext())).toEqual({ value: { sum: 7 } });
      // The listing and two calls: three sessions, each ended with a DELETE.
      await expect.poll(() => stateful.endedSessions.length).toBe(3);
      expect(stateful.openSessions()).toBe(0);
    } finally {
      await stateful.close();
    }
  });

  it('answers in mock mode with a sample of the result schema and no request to the server', async () => {
    const before = server.requests.length;
    const [tool] = await testApp.services.mcpToolKind.resolve(entry({}), resolveContext('mock'));
    const result = await tool?.call({ a: 1, b: 2 }, callContext('mock'));
    expect(result?.value).toEqual({ sum: expect.any(Number) });
    expect(server.requests.length).toBe(before);
  });

  it('checks entries on agent save: the server id and the tool name, naming the field', async () => {
    const check = testApp.services.mcpToolKind.check;
    const context = { workspaceId: fixture.workspaceId, agentId: null };
    await expect(check(entry({}), 'tools[0]', context)).resolves.toBeUndefined();
    const unknownServer = await check(entry({ server: newId() }), 'tools[1]', context).catch(
      (error) => error,
    );
    expect(unknownServer).toMatchObject({
      code: 'mcp_server_not_found',
      kind: 'invalid',
      details: { field: 'tools[1].server' },
    });
    const unknownTool = await check(entry({ tool: 'divide' }), 'tools[2]', context).catch((error) => error);
    expect(unknownTool).toMatchObject({ code: 'mcp_tool_not_found', details: { field: 'tools[2].tool' } });
    const missing = await check(entry({ tool: undefined }), 'tools[3]', context).catch((error) => error);
    expect(missing).toMatchObject({ code: 'tool_invalid', details: { field: 'tools[3].tool' } });
    const badApproval = await check(entry({ approval: 'sometimes' }), 'tools[4]', context).catch(
      (error) => error,
    );
    expect(badApproval).toMatchObject({
      code: 'tool_approval_invalid',
      details: { field: 'tools[4].approval' },
    });
    const badTimeout = await check(entry({ timeoutMs: 5 }), 'tools[5]', context).catch((error) => error);
    expect(badTimeout).toMatchObject({
      code: 'tool_timeout_invalid',
      details: { field: 'tools[5].timeoutMs' },
    });
    await expect(
      check(entry({ approval: { path: 'a', above: 10 } }), 'tools[6]', context),
    ).resolves.toBeUndefined();
    // Another workspace's server is no server of this one.
    const other = await createWorkspaceFixture(testApp.services, 'mcp-kind-other');
    const foreign = await check(entry({}), 'tools[0]', {
      workspaceId: other.workspaceId,
      agentId: null,
    }).catch((error) => error);
    expect(foreign).toMatchObject({ code: 'mcp_server_not_found' });
    await expect(
      testApp.services.mcpToolKind.resolve(entry({}), {
        ...resolveContext(),
        workspaceId: other.workspaceId,
      }),
    ).rejects.toMatchObject({ code: 'mcp_server_not_found' });
  });
});
