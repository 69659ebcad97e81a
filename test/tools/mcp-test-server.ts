import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface McpTestServer {
  url: string;
  /** The headers of every HTTP request the server received, in order. */
  requests: Array<{ method: string; headers: IncomingHttpHeaders }>;
  /** The tool calls the server ran: tool name and arguments. */
  calls: Array<{ tool: string; arguments: unknown }>;
  /** Stateful mode: the sessions clients ended (DELETE), and how many are still open. */
  endedSessions: string[];
  openSessions(): number;
  close(): Promise<void>;
}

/**
 * A Model Context Protocol server on a loopback port, built from the SDK's own server classes
 * (stateless streamable HTTP: a fresh McpServer and transport per request, as the SDK requires).
 * With `requiredAuthorization`, requests without that exact Authorization header get a 401; with
 * `stateful`, the server hands out sessions (Mcp-Session-Id) as most deployed servers do.
 */
export async function startMcpTestServer(
  options: { requiredAuthorization?: string; echoSecret?: string; stateful?: boolean } = {},
): Promise<McpTestServer> {
  const requests: McpTestServer['requests'] = [];
  const endedSessions: string[] = [];
  const calls: McpTestServer['calls'] = [];

  function buildServer(): McpServer {
    const server = new McpServer({ name: 'flightdeck-test-server', version: '1.0.0' });
    server.registerTool(
      'add',
      {
        title: 'Add two numbers',
        description: 'Adds a and b.',
        inputSchema: { a: z.number(), b: z.number() },
        outputSchema: { sum: z.number() },
      },
      async ({ a, b }) => {
        calls.push({ tool: 'add', arguments: { a, b } });
        return { content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } };
      },
    );
    server.registerTool(
      'shout',
      { description: 'Upper-cases the text.', inputSchema: { text: z.string() } },
      async ({ text }) => {
        calls.push({ tool: 'shout', arguments: { text } });
        return { content: [{ type: 'text', text: text.toUpperCase() }] };
      },
    );
    server.registerTool(
      'refuse',
      { description: 'Always reports an error.', inputSchema: { why: z.string().optional() } },
      async ({ why }) => {
        calls.push({ tool: 'refuse', arguments: { why } });
        // A careless server echoing a credential: it must never reach the model or an answer.
        const echoed = options.echoSecret ? ` (token ${options.echoSecret})` : '';
        return {
          isError: true,
          content: [{ type: 'text', text: `refused: ${why ?? 'no reason'}${echoed}` }],
        };
      },
    );
    server.registerTool(
      'slow',
      { description: 'Answers after the given delay.', inputSchema: { ms: z.number() } },
      async ({ ms }, extra) => {
        calls.push({ tool: 'slow', arguments: { ms } });
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, ms);
          extra.signal.addEventListener('abort', () => clearTimeout(timer));
        });
        return { content: [{ type: 'text', text: 'done' }] };
      },
    );
    return server;
  }

  /** Stateful mode: one transport per session, found by the Mcp-Session-Id header. */
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http: Server = createServer(async (request, response) => {
    requests.push({ method: request.method ?? '', headers: request.headers });
    if (options.requiredAuthorization && request.headers.authorization !== options.requiredAuthorization) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const sessionId = request.headers['mcp-session-id'];
    if (options.stateful && typeof sessionId === 'string') {
      const transport = sessions.get(sessionId);
      if (!transport) {
        response.writeHead(404).end();
        return;
      }
      const body = request.method === 'POST' ? await readJson(request) : undefined;
      await transport.handleRequest(request, response, body);
      return;
    }
    if (request.method !== 'POST') {
      // Stateless: no standalone event stream and no sessions to end.
      response.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const body = await readJson(request);
    const server = buildServer();
    if (options.stateful) {
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, transport);
        },
        onsessionclosed: (id) => {
          sessions.delete(id);
          endedSessions.push(id);
        },
      });
      await server.connect(transport);
      await transport.handleRequest(request, response, body);
      return;
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    calls,
    endedSessions,
    openSessions: () => sessions.size,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}
