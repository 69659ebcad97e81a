import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
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
  close(): Promise<void>;
}

/**
 * A Model Context Protocol server on a loopback port, built from the SDK's own server classes
 * (stateless streamable HTTP: a fresh McpServer and transport per request, as the SDK requires).
 * With `requiredAuthorization`, requests without that exact Authorization header get a 401.
 */
export async function startMcpTestServer(
  options: { requiredAuthorization?: string; echoSecret?: string } = {},
): Promise<McpTestServer> {
  const requests: McpTestServer['requests'] = [];
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

  const http: Server = createServer(async (request, response) => {
    requests.push({ method: request.method ?? '', headers: request.headers });
    if (options.requiredAuthorization && request.headers.authorization !== options.requiredAuthorization) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    if (request.method !== 'POST') {
      // Stateless: no standalone event stream and no sessions to end.
      response.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    const server = buildServer();
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
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
