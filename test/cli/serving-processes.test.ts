import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { type CliProcess, freePort, runCli } from '../support/cli-process.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';
import { childrenOf } from '../support/process-tree.ts';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
  cookie: string | undefined;
}

/**
 * One request on a connection of its own: node:cluster hands each new connection to the next
 * serving process, so consecutive requests alternate between the processes.
 */
function send(
  port: number,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => {
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {}
          const cookie = response.headers['set-cookie']?.[0]?.split(';')[0];
          resolve({ status: response.statusCode ?? 0, body, text, cookie });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** Polls until the check holds (it may ask the server), or fails naming what it waited for. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The group's `flightdeck_agent_runs_total`, summed over its label sets. */
function agentRuns(metricsText: string): number {
  let total = 0;
  for (const line of metricsText.split('\n'))
    if (line.startsWith('flightdeck_agent_runs_total{')) total += Number(line.split(' ').at(-1));
  return total;
}

describe('flightdeck serve with FLIGHTDECK_PROCESSES', () => {
  let database: TemporaryDatabase;
  let fake: FakeProvider;
  beforeAll(async () => {
    database = await createTemporaryDatabase();
    fake = await startFakeProvider({ text: 'Served.' });
  });
  afterAll(async () => {
    await fake.close();
    await database.drop();
  });

  it('refuses several processes on the embedded database, naming the variable', async () => {
    const cli = runCli(['serve'], { FLIGHTDECK_PROCESSES: '2', FLIGHTDECK_DATA_DIR: '/tmp/never-opened' });
    expect((await cli.exited).code).toBe(78);
    expect(cli.output()).toContain('FLIGHTDECK_PROCESSES: expected 1 without DATABASE_URL');
  });

  it('serves from every process on one port: executions recorded by each, metrics of the group, one rate-limit count, revocation on the next request, a dead process replaced, one graceful stop', async () => {
    const port = await freePort();
    const cli: CliProcess = runCli(['serve'], {
      PORT: String(port),
      DATABASE_URL: database.url,
      FLIGHTDECK_MASTER_KEY: randomBytes(32).toString('base64'),
      FLIGHTDECK_PROCESSES: '2',
      FLIGHTDECK_ALLOWED_PROVIDER_HOSTS: '127.0.0.1',
      FLIGHTDECK_METRICS_PORT: '0',
    });
    try {
      await cli.waitFor(`running in 2 processes: open http://127.0.0.1:${port}`, 60_000);
      const processes = childrenOf(cli.child.pid);
      expect(processes).toHaveLength(2);

      const setup = await send(port, 'POST', '/api/setup', {
        body: {
          email: 'owner@example.test',
          password: 'a long owner password',
          name: 'Owner',
          workspaceName: 'Group',
        },
      });
      expect(setup.status, setup.text).toBe(201);
      const workspaceId = (setup.body.workspace as { id: string }).id;
      const session = { cookie: setup.cookie ?? '', 'x-csrf-token': String(setup.body.csrfToken) };
      const api = `/api/workspaces/${workspaceId}`;
      const token = await send(port, 'POST', `${api}/tokens`, {
        body: { name: 'ci', role: 'owner' },
        headers: session,
      });
      expect(token.status, token.text).toBe(201);
      const bearer = { authorization: `Bearer ${String(token.body.token)}` };
      const key = await send(port, 'POST', `${api}/provider-keys`, {
        body: { provider: 'openai', label: 'fake', apiKey: 'sk-group-0001', baseUrl: `${fake.url}/v1` },
        headers: bearer,
      });
      expect(key.status, key.text).toBe(201);
      const agent = await send(port, 'POST', `${api}/agents`, {
        body: { name: 'Grouped', provider: 'openai', model: 'gpt-4o-mini', providerKeyId: key.body.id },
        headers: bearer,
      });
      expect(agent.status, agent.text).toBe(201);

      const executions = 20;
      for (let index = 0; index < executions; index++) {
        const execution = await send(port, 'POST', `${api}/agents/${String(agent.body.id)}/executions`, {
          body: { input: `question ${index}` },
          headers: bearer,
        });
        expect(execution.status, execution.text).toBe(201);
        expect(execution.body.output).toBe('Served.');
      }
      const listed = await send(port, 'GET', `${api}/executions?limit=100`, { headers: bearer });
      expect((listed.body.items as unknown[]).length).toBe(executions);

      // Any process answers for the group: the sum over both.
      for (let scrape = 0; scrape < 2; scrape++)
        expect(agentRuns((await send(port, 'GET', '/metrics')).text)).toBe(executions);

      // Without Redis the processes count rate limits in the primary: a limit of 10 admits 10
      // executions in all, not 10 in each process.
      const limited = await send(port, 'POST', `${api}/tokens`, {
        body: { name: 'limited', role: 'member', rateLimitPerMinute: 10 },
        headers: session,
      });
      expect(limited.status, limited.text).toBe(201);
      const statuses: number[] = [];
      for (let index = 0; index < 14; index++) {
        const answer = await send(port, 'POST', `${api}/agents/${String(agent.body.id)}/executions`, {
          body: { input: `limited ${index}` },
          headers: { authorization: `Bearer ${String(limited.body.token)}` },
        });
        statuses.push(answer.status);
      }
      expect(statuses.filter((status) => status === 201)).toHaveLength(10);
      expect(statuses.filter((status) => status === 429)).toHaveLength(4);

      // A revocation made through one process refuses the very next request, on whichever.
      const revoked = await send(port, 'DELETE', `${api}/tokens/${String(token.body.id)}`, {
        headers: session,
      });
      expect(revoked.status, revoked.text).toBe(204);
      for (let attempt = 0; attempt < 6; attempt++)
        expect((await send(port, 'GET', `${api}/agents`, { headers: bearer })).status).toBe(401);

      // Killing one process loses its share of the counters (so both had served) and a
      // replacement takes its place.
      const [victim, survivor] = processes;
      process.kill(victim ?? 0, 'SIGKILL');
      await eventually(() => {
        const now = childrenOf(cli.child.pid);
        return now.length === 2 && !now.includes(victim ?? 0);
      }, 'a replacement process');
      expect(childrenOf(cli.child.pid)).toContain(survivor);
      const readyLines = () => cli.output().match(/serving process ready/g)?.length ?? 0;
      await eventually(() => readyLines() === 3, 'the replacement to be ready');
      const afterKill = agentRuns((await send(port, 'GET', '/metrics')).text);
      expect(afterKill).toBeGreaterThan(0);
      expect(afterKill).toBeLessThan(executions + 10);
      expect(cli.output()).toContain('a serving process died; starting a replacement');

      cli.child.kill('SIGTERM');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expect(childrenOf(cli.child.pid)).toEqual([]);
      expect(cli.output().match(/shutdown complete/g)?.length).toBe(2);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
  }, 120_000);
});
