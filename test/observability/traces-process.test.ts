import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { type CliProcess, freePort, runCli } from '../support/cli-process.ts';
import { createTemporaryDatabase, postgresReachable, type TemporaryDatabase } from '../support/postgres.ts';
import { eventually, temporaryFolder } from './observability-kit.ts';
import { descendsFrom, type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.ts';

const probe = fileURLToPath(new URL('./module-probe.mjs', import.meta.url));
const canary = 'sk-canary-process-4b8d2f6a0c1e3579';
const reachable = await postgresReachable();

interface ProbeReport {
  loaded: string[];
  registrations: string[];
  requireHooked: boolean;
}

/** Stops the process and reads what the module probe printed as it exited. */
async function stopAndReadProbe(cli: CliProcess): Promise<ProbeReport> {
  cli.child.kill('SIGTERM');
  await cli.exited;
  const line = /module-probe (\{.*\})/.exec(cli.output())?.[1];
  if (!line) throw new Error(`no probe report in the output:\n${cli.output()}`);
  return JSON.parse(line) as ProbeReport;
}

/** First owner, then an owner token: the calls a person scripting a fresh install makes. */
async function setUp(baseUrl: string): Promise<{ workspaceId: string; token: string }> {
  const setup = await fetch(`${baseUrl}/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: 'traces@example.test',
      password: 'a long traced password',
      name: 'Tracer',
      workspaceName: 'Traced',
    }),
  });
  expect(setup.status).toBe(201);
  const { workspace, csrfToken } = (await setup.json()) as { workspace: { id: string }; csrfToken: string };
  const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const created = await fetch(`${baseUrl}/api/workspaces/${workspace.id}/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
    body: JSON.stringify({ name: 'tracing test', role: 'owner' }),
  });
  expect(created.status).toBe(201);
  return { workspaceId: workspace.id, token: ((await created.json()) as { token: string }).token };
}

describe.skipIf(!reachable)(
  `traces of a real process on PostgreSQL${reachable ? '' : ' (skipped: no PostgreSQL at 127.0.0.1:5432)'}`,
  () => {
    let receiver: OtlpReceiver;
    let fake: FakeProvider;
    let database: TemporaryDatabase;
    let cli: CliProcess;
    let baseUrl: string;

    beforeAll(async () => {
      receiver = await startOtlpReceiver();
      fake = await startFakeProvider();
      database = await createTemporaryDatabase();
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      cli = runCli(['serve'], {
        PORT: String(port),
        DATABASE_URL: database.url,
        FLIGHTDECK_MASTER_KEY: randomBytes(32).toString('base64'),
        FLIGHTDECK_ALLOWED_PROVIDER_HOSTS: '127.0.0.1',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.baseUrl,
        OTEL_SERVICE_NAME: 'flightdeck-process-test',
        NODE_OPTIONS: `--import=${probe}`,
      });
      await cli.waitFor(`open ${baseUrl}`, 60_000);
    }, 90_000);
    afterAll(async () => {
      if (cli && cli.child.exitCode === null) {
        cli.child.kill('SIGTERM');
        await cli.exited;
      }
      await database?.drop();
      await fake?.close();
      await receiver?.close();
    });

    it('puts pg spans and agent.execute under the @fastify/otel HTTP span of an API execution, and no secret anywhere', async () => {
      const { workspaceId, token } = await setUp(baseUrl);
      const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${baseUrl}/api/workspaces/${workspaceId}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
          body: JSON.stringify(body),
        });
      const key = await call('/provider-keys', {
        provider: 'openai',
        label: 'fake',
        apiKey: canary,
        baseUrl: `${fake.url}/v1`,
      });
      expect(key.status).toBe(201);
      const agent = (await (
        await call('/agents', {
          name: 'Process traced',
          provider: 'openai',
          model: 'gpt-4o-mini',
          promptTemplate: 'Summarize {{ input.text }}',
        })
      ).json()) as { id: string };
      const callerTrace = randomBytes(16).toString('hex');
      const executed = await call(
        `/agents/${agent.id}/executions`,
        { input: { text: 'the queue is stuck' }, mode: 'live' },
        { traceparent: `00-${callerTrace}-${randomBytes(8).toString('hex')}-01` },
      );
      expect(executed.status).toBe(201);
      const execution = (await executed.json()) as { id: string };

      const route = 'POST /api/workspaces/:workspaceId/agents/:agentId/executions';
      // The process exports every 2 s; the HTTP span ends last, after the response is sent.
      const inTrace = await eventually(async () => {
        const spans = receiver.spans.filter((span) => span.traceId === callerTrace);
        return spans.some((span) => span.name === route) &&
          spans.some((span) => span.name.startsWith('chat '))
          ? spans
          : undefined;
      }, 'the execution trace');
      const one = (predicate: (span: ReceivedSpan) => boolean, what: string) => {
        const found = inTrace.filter(predicate);
        expect(found, what).toHaveLength(1);
        return found[0] as ReceivedSpan;
      };
      const http = one((span) => span.name === route, 'the HTTP span');
      expect(http.scope).toBe('@fastify/otel');
      expect(http.kind).toBe(2); // SERVER
      expect(http.resource['service.name']).toBe('flightdeck-process-test');
      expect(http.attributes).toMatchObject({
        'http.route': route.slice(5),
        'http.response.status_code': 201,
      });
      const agentSpan = one((span) => span.name === 'agent.execute', 'agent.execute');
      expect(agentSpan.attributes['flightdeck.execution.id']).toBe(execution.id);
      // Over a real socket the body is parsed in the socket's context; the handler is back under the request.
      expect(agentSpan.parentSpanId).toBe(http.spanId);
      const chat = one((span) => span.name === 'chat gpt-4o-mini', 'the chat span');
      expect(chat.parentSpanId).toBe(agentSpan.spanId);

      const queries = inTrace.filter((span) => span.scope === '@opentelemetry/instrumentation-pg');
      const statements = queries.filter((span) => span.name.startsWith('pg.query:'));
      // Authentication, the agent and key reads, the budget and the execution record, at least.
      expect(statements.length).toBeGreaterThan(3);
      for (const query of queries) expect(descendsFrom(query, http, inTrace), query.name).toBe(true);
      for (const statement of statements) {
        expect(statement.kind).toBe(3); // CLIENT
        expect(statement.attributes).toMatchObject({
          'db.system.name': 'postgresql',
          'db.namespace': database.name,
          'server.address': '127.0.0.1',
        });
        expect(typeof statement.attributes['db.query.text']).toBe('string');
        expect(statement.attributes['db.postgresql.values']).toBeUndefined();
      }
      expect(statements.map((span) => span.name)).toContain(`pg.query:SELECT ${database.name}`);
      expect(statements.map((span) => span.name)).toContain(`pg.query:INSERT ${database.name}`);
      // Parameterised: the values travel apart from the text, so the text names placeholders.
      expect(statements.some((span) => String(span.attributes['db.query.text']).includes('$1'))).toBe(true);
      // Part of the execution's own statements ran under agent.execute.
      expect(statements.some((span) => descendsFrom(span, agentSpan, inTrace))).toBe(true);

      const everything = receiver.bodies.join('\n');
      expect(everything).not.toContain(canary);
      expect(everything).not.toContain(token);
      expect(everything).not.toContain('the queue is stuck');
      expect(everything).not.toContain('a long traced password');
      expect(everything.toLowerCase()).not.toContain('authorization');

      const report = await stopAndReadProbe(cli);
      // The positive case the tracing-off test below compares against: the probe does see them.
      expect(report.loaded).toEqual(
        expect.arrayContaining(['@fastify/otel', '@opentelemetry/instrumentation-pg']),
      );
      expect(report.requireHooked).toBe(true);
      // pg is patched through its CommonJS requires: no ES-module loader hook is registered for
      // tracing; the one synchronous hook is the entry point's lean module loading, traced or not.
      expect(report.registrations).toEqual(['registerHooks']);
    }, 90_000);
  },
);

describe('a process without a traces endpoint', () => {
  it('loads no instrumentation and hooks no module loading for it', async () => {
    const folder = await temporaryFolder('flightdeck-untraced-');
    try {
      const port = await freePort();
      const cli = runCli(['serve'], {
        PORT: String(port),
        FLIGHTDECK_DATA_DIR: folder.path,
        NODE_OPTIONS: `--import=${probe}`,
      });
      await cli.waitFor(`open http://127.0.0.1:${port}`, 60_000);
      // A request through every layer: the HTTP plugin would be on its path.
      expect((await fetch(`http://127.0.0.1:${port}/api/setup`)).status).toBe(200);
      // The one registration is bin/flightdeck.js's lean module loading (src/cli/lean-module-loading.ts).
      expect(await stopAndReadProbe(cli)).toEqual({
        loaded: [],
        registrations: ['registerHooks'],
        requireHooked: false,
      });
    } finally {
      await folder.remove();
    }
  }, 90_000);
});
