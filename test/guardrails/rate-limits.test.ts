import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/services/guardrails/rate-limiter.ts';
import { openStore } from '../../src/store/database.ts';
import { createSilentLogger } from '../../src/telemetry/logger.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const redisUrl = process.env.FLIGHTDECK_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function limitTo(testApp: TestApp, fixture: WorkspaceFixture, rateLimitPerMinute: number) {
  await testApp.services.workspaces.update(
    { workspaceId: fixture.workspaceId, role: 'owner', userId: fixture.users.owner, tokenId: null },
    { settings: { rateLimitPerMinute } },
  );
}

describe('rate limits in memory', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(() => testApp.close());

  it('answers 429 rate_limited with Retry-After and RateLimit headers past the limit', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'memory');
    await limitTo(testApp, fixture, 2); // reads get ten times the limit: 20 a minute
    const url = `/api/workspaces/${fixture.workspaceId}/members`;
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof testApp.app.inject>> | undefined;
    for (let index = 0; index < 23; index++) {
      last = await testApp.app.inject({ method: 'GET', url, headers: headersFor(fixture.tokens.viewer) });
      statuses.push(last.statusCode);
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual([429, 429, 429]);
    expect(last?.json().error.code).toBe('rate_limited');
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(last?.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(last?.headers['ratelimit-limit']).toBe('20');
    expect(last?.headers['ratelimit-remaining']).toBe('0');
  });

  it("holds a token to its own execution limit inside the workspace's", async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'token');
    const owner = headersFor(fixture.sessions.owner);
    const base = `/api/workspaces/${fixture.workspaceId}`;
    const agent = await testApp.app.inject({
      method: 'POST',
      url: `${base}/agents`,
      headers: owner,
      payload: { name: 'Limited', provider: 'openai', model: 'gpt-4o-mini' },
    });
    const created = await testApp.app.inject({
      method: 'POST',
      url: `${base}/tokens`,
      headers: owner,
      payload: { name: 'batch job', role: 'member', rateLimitPerMinute: 2 },
    });
    expect(created.json().rateLimitPerMinute).toBe(2);
    const run = (token: string) =>
      testApp.app.inject({
        method: 'POST',
        url: `${base}/agents/${agent.json().id}/executions`,
        headers: { authorization: `Bearer ${token}` },
        payload: { input: {}, mode: 'mock' },
      });
    const limited = [];
    for (let index = 0; index < 3; index++) limited.push((await run(created.json().token)).statusCode);
    expect(limited).toEqual([201, 201, 429]);
    // Another token of the same workspace is not held by that limit.
    expect((await run((fixture.tokens.member as { token: string }).token)).statusCode).toBe(201);
  });

  it('counts each workspace on its own', async () => {
    const busy = await createWorkspaceFixture(testApp.services, 'busy');
    const quiet = await createWorkspaceFixture(testApp.services, 'quiet');
    await limitTo(testApp, busy, 1);
    await limitTo(testApp, quiet, 1);
    for (let index = 0; index < 11; index++) {
      await testApp.app.inject({
        method: 'GET',
        url: `/api/workspaces/${busy.workspaceId}`,
        headers: headersFor(busy.tokens.owner),
      });
    }
    const other = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${quiet.workspaceId}`,
      headers: headersFor(quiet.tokens.owner),
    });
    expect(other.statusCode).toBe(200);
    expect(other.headers['ratelimit-remaining']).toBe('9');
  });
});

describe('rate limits across nodes with Redis', () => {
  let database: TemporaryDatabase;
  const apps: TestApp[] = [];
  const prefix = `fd-test-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    const first = await openStore({ databaseUrl: database.url, poolSize: 4 });
    await first.migrate();
    await first.close();
    for (let node = 0; node < 3; node++) {
      const store = await openStore({ databaseUrl: database.url, poolSize: 4 });
      apps.push(await createTestApp({ store, redisUrl }));
    }
  });
  afterAll(async () => {
    for (const testApp of apps) {
      await testApp.services.close();
      await testApp.close();
    }
    await database.drop();
  });

  it('admits at most the limit in total across three app instances', async () => {
    const [first] = apps;
    if (!first) throw new Error('no app');
    // Keys are shared by every node through Redis; a fresh workspace id keeps runs apart.
    const fixture = await createWorkspaceFixture(first.services, 'redis');
    await limitTo(first, fixture, 3); // 30 requests a minute for reads, across all nodes
    const requests = Array.from({ length: 45 }, (_, index) =>
      (apps[index % 3] ?? first).app.inject({
        method: 'GET',
        url: `/api/workspaces/${fixture.workspaceId}`,
        headers: headersFor(fixture.tokens.viewer),
      }),
    );
    const statuses = (await Promise.all(requests)).map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 200)).toHaveLength(30);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
  });

  it('falls back to memory when Redis is unreachable instead of failing requests', async () => {
    const limiter = createRateLimiter({
      redisUrl: 'redis://127.0.0.1:1',
      logger: createSilentLogger(),
      keyPrefix: prefix,
    });
    try {
      const decisions = [];
      for (let index = 0; index < 4; index++) decisions.push(await limiter.consume('fallback', 3));
      expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
    } finally {
      await limiter.close();
    }
  });
});
