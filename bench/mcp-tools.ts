/**
 * MCP tool call figures against an SDK McpServer (stateless streamable HTTP) on loopback: a call
 * as Flightdeck makes it (a connection per call: initialize, the call, close, through the
 * SSRF-guarded fetch) against calls on one connected client, and what one MCP tool call adds to an
 * execution (the fake provider at zero latency, two model calls against one). Prints markdown;
 * never fails on timing.
 *
 *   node bench/mcp-tools.ts        FLIGHTDECK_BENCH_CALLS=300 tunes it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFakeProvider } from '../src/llm/fake-provider/index.ts';
import { parseAllowedHosts } from '../src/security/ssrf-guard.ts';
import { createGuardedFetch } from '../src/security/ssrf-guarded-fetch.ts';
import { callMcpTool } from '../src/services/tools/mcp/mcp-client.ts';
import { apiClient } from '../test/executions/execution-test-kit.ts';
import { createWorkspaceFixture } from '../test/support/identity-fixture.ts';
import { createTestApp } from '../test/support/test-app.ts';
import { startMcpTestServer } from '../test/tools/mcp-test-server.ts';

const calls = Number(process.env.FLIGHTDECK_BENCH_CALLS ?? 300);
const executions = Math.max(20, Math.round(calls / 3));

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const timed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};
const row = (label: string, samples: number[]) =>
  `| ${label} | ${samples.length} | ${percentile(samples, 50).toFixed(2)} | ${percentile(samples, 95).toFixed(2)} |`;

async function main() {
  const server = await startMcpTestServer({ requiredAuthorization: 'Bearer bench-token-0123456789' });
  const headers = { Authorization: 'Bearer bench-token-0123456789' };
  const fetch = createGuardedFetch({ allowedHosts: parseAllowedHosts('127.0.0.1') });
  const endpoint = { name: 'bench', url: server.url, headers };
  const testApp = await createTestApp();
  const fake = await startFakeProvider();
  try {
    // Warm-up: module loading and the first connections are not what is measured.
    for (let index = 0; index < 20; index++) {
      await callMcpTool(endpoint, { tool: 'add', arguments: { a: 1, b: 2 } }, { fetch, timeoutMs: 5_000 });
    }

    const requestsBefore = server.requests.length;
    const perCall: number[] = [];
    for (let index = 0; index < calls; index++) {
      perCall.push(
        await timed(() =>
          callMcpTool(endpoint, { tool: 'add', arguments: { a: index, b: 1 } }, { fetch, timeoutMs: 5_000 }),
        ),
      );
    }

    const requestsPerCall = (server.requests.length - requestsBefore) / calls;
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.url), { fetch, requestInit: { headers } }),
    );
    const reused: number[] = [];
    for (let index = 0; index < calls; index++) {
      reused.push(await timed(() => client.callTool({ name: 'add', arguments: { a: index, b: 1 } })));
    }
    await client.close();

    const fixture = await createWorkspaceFixture(testApp.services, 'bench-mcp');
    const api = apiClient(testApp, fixture);
    await api.addFakeKey(fake);
    const registered = await api.post('/mcp-servers', { name: 'bench', url: server.url, headers });
    const serverId = registered.json().id as string;
    const plain = await api.createAgent({ name: 'Plain', provider: 'openai', model: 'gpt-4o-mini' });
    const withTool = await api.createAgent({
      name: 'With MCP tool',
      provider: 'openai',
      model: 'gpt-4o-mini',
      tools: [{ kind: 'mcp', name: 'add', server: serverId, tool: 'add' }],
    });
    fake.respondWith((conversation) =>
      conversation.tools.includes('add') && conversation.toolResults.length === 0
        ? { toolCalls: [{ name: 'add', arguments: { a: 2, b: 3 } }] }
        : { text: 'done' },
    );
    const execute = async (agentId: string) => {
      const response = await api.post(`/agents/${agentId}/executions`, { input: { text: 'go' } });
      if (response.statusCode !== 201) throw new Error(`execution failed: ${response.body}`);
    };
    for (let index = 0; index < 5; index++) {
      await execute(plain.id);
      await execute(withTool.id);
    }
    const plainRuns: number[] = [];
    const toolRuns: number[] = [];
    for (let index = 0; index < executions; index++) {
      plainRuns.push(await timed(() => execute(plain.id)));
      toolRuns.push(await timed(() => execute(withTool.id)));
    }

    console.log(
      `MCP server: SDK McpServer, stateless streamable HTTP on 127.0.0.1; Node ${process.version}\n`,
    );
    console.log('| measured | n | p50 ms | p95 ms |');
    console.log('|---|---|---|---|');
    console.log(row('tool call, a connection per call (as Flightdeck calls)', perCall));
    console.log(row('tool call on one connected client', reused));
    console.log(row('execution, no tools (one model call)', plainRuns));
    console.log(row('execution with one MCP tool call (two model calls)', toolRuns));
    console.log(
      `\nHTTP requests per call with a connection per call: ${requestsPerCall.toFixed(1)} (initialize, initialized, the call).`,
    );
  } finally {
    await testApp.close();
    await fake.close();
    await server.close();
  }
}

await main();
