import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { type CliProcess, freePort, runCli } from '../support/cli-process.ts';
import { createTemporaryDatabase, postgresReachable, type TemporaryDatabase } from '../support/postgres.ts';

const reachable = await postgresReachable();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const burst = 200;

/**
 * kill -9 of `flightdeck serve` on PostgreSQL in the middle of 200 concurrent executions: with
 * group commit the `running` rows are shared statements, so this proves each is durable before its
 * provider call and each answered one was committed before its answer.
 */
describe.skipIf(!reachable)(
  `kill -9 during a burst of executions${reachable ? '' : ' (skipped: no PostgreSQL at 127.0.0.1:5432)'}`,
  () => {
    let fake: FakeProvider;
    let database: TemporaryDatabase;
    let sql: pg.Pool;
    const processes: CliProcess[] = [];
    const environment = (port: number): Record<string, string> => ({
      PORT: String(port),
      DATABASE_URL: database.url,
      FLIGHTDECK_MASTER_KEY: masterKey,
      FLIGHTDECK_ALLOWED_PROVIDER_HOSTS: '127.0.0.1',
      FLIGHTDECK_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    });
    const masterKey = randomBytes(32).toString('base64');

    beforeAll(async () => {
      // Answers spread over 0–2.5 s, so at the kill some are answered and some are in flight.
      fake = await startFakeProvider({
        respond: async () => {
          await sleep(Math.random() * 2_500);
          return { text: 'done' };
        },
      });
      database = await createTemporaryDatabase();
      sql = new pg.Pool({ connectionString: database.url, max: 2 });
    }, 60_000);
    afterAll(async () => {
      for (const process of processes) {
        if (process.child.exitCode === null && process.child.signalCode === null)
          process.child.kill('SIGKILL');
        await process.exited;
      }
      await sql?.end();
      await database?.drop();
      await fake?.close();
    });

    it('stores every answered execution completed and every other started one failed interrupted', async () => {
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const first = runCli(['serve'], environment(port));
      processes.push(first);
      await first.waitFor(`open ${baseUrl}`, 60_000);

      const setup = await fetch(`${baseUrl}/api/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: 'kill@example.test',
          password: 'a long kill password',
          name: 'Killer',
          workspaceName: 'Killed',
        }),
      });
      expect(setup.status).toBe(201);
      const { workspace, csrfToken } = (await setup.json()) as {
        workspace: { id: string };
        csrfToken: string;
      };
      const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const session = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken };
      const base = `${baseUrl}/api/workspaces/${workspace.id}`;
      const post = async (path: string, body: unknown, headers: Record<string, string> = session) =>
        fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      await fetch(base, {
        method: 'PATCH',
        headers: session,
        body: JSON.stringify({ settings: { rateLimitPerMinute: 10_000 } }),
      });
      const token = (
        (await (await post('/tokens', { name: 'burst', role: 'owner' })).json()) as { token: string }
      ).token;
      const key = (await (
        await post('/provider-keys', {
          provider: 'openai',
          label: 'fake',
          apiKey: 'sk-kill-0001',
          baseUrl: `${fake.url}/v1`,
        })
      ).json()) as { id: string };
      const agent = (await (
        await post('/agents', {
          name: 'Burst',
          provider: 'openai',
          model: 'gpt-4o-mini',
          providerKeyId: key.id,
          // The tag in the prompt ties every provider call to its request.
          promptTemplate: 'Request {{ input.tag }}',
          retry: { maxAttempts: 1 },
          timeoutMs: 3_000,
        })
      ).json()) as { id: string };
      expect(agent.id).toBeDefined();

      const bearer = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
      const answered = new Map<string, string>();
      const tags = Array.from({ length: burst }, (_, index) => `burst-${index}`);
      const requests = tags.map(async (tag) => {
        try {
          const response = await fetch(`${base}/agents/${agent.id}/executions`, {
            method: 'POST',
            headers: { ...bearer, 'idempotency-key': tag },
            body: JSON.stringify({ input: { tag }, mode: 'live' }),
          });
          const body = (await response.json()) as { id?: string; status?: string };
          if (response.status === 201 && body.id) answered.set(tag, body.id);
        } catch {
          // The process died under this request: no answer.
        }
      });
      // Kill once some answers are out and many calls are still at the provider.
      for (let waited = 0; answered.size < burst / 10 && waited < 20_000; waited += 10) await sleep(10);
      first.child.kill('SIGKILL');
      await first.exited;
      await Promise.all(requests);
      expect(answered.size).toBeGreaterThan(0);
      expect(answered.size).toBeLessThan(burst);

      // Every request whose provider call started left a row before that call.
      const calledTags = new Set(
        fake.calls.flatMap((call) => /Request (burst-\d+)/.exec(JSON.stringify(call.body))?.[1] ?? []),
      );
      const rowsAtKill = await sql.query<{ key: string; id: string; status: string }>(
        'select idempotency_key as key, id, status from executions where workspace_id = $1',
        [workspace.id],
      );
      const keyed = new Map(rowsAtKill.rows.map((row) => [row.key, row]));
      for (const tag of calledTags)
        expect(keyed.has(tag), `no row for ${tag}, whose call started`).toBe(true);
      for (const [tag, id] of answered) {
        expect(keyed.get(tag)?.id).toBe(id);
        expect(keyed.get(tag)?.status).toBe('completed');
      }
      expect(rowsAtKill.rows.some((row) => row.status === 'running')).toBe(true);

      // On PostgreSQL a restart marks the rows whose deadline passed a minute ago (other nodes may
      // still own younger ones), so the restart waits that out.
      await sleep(64_000);
      const secondPort = await freePort();
      const second = runCli(['serve'], environment(secondPort));
      processes.push(second);
      await second.waitFor(`open http://127.0.0.1:${secondPort}`, 60_000);
      const rowsAfter = await sql.query<{
        key: string;
        id: string;
        status: string;
        errorCode: string | null;
      }>(
        'select idempotency_key as key, id, status, error_code as "errorCode" from executions where workspace_id = $1',
        [workspace.id],
      );
      expect(rowsAfter.rows).toHaveLength(rowsAtKill.rows.length);
      for (const row of rowsAfter.rows) {
        if (answered.has(row.key))
          expect(row).toMatchObject({ status: 'completed', id: answered.get(row.key) });
        else if (row.status !== 'completed')
          expect(row).toMatchObject({ status: 'failed', errorCode: 'interrupted' });
      }
      expect(rowsAfter.rows.filter((row) => row.errorCode === 'interrupted').length).toBeGreaterThan(0);
      second.child.kill('SIGTERM');
      await second.exited;
    }, 240_000);
  },
);
