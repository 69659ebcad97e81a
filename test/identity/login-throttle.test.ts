import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const owner = {
  email: 'owner@throttle.test',
  password: 'correct horse battery staple',
  name: 'Owner',
  workspaceName: 'Throttled',
};

describe('login throttling on PostgreSQL across three nodes', () => {
  let database: TemporaryDatabase;
  const nodes: TestApp[] = [];

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    for (let index = 0; index < 3; index++) {
      const store = await openStore({ databaseUrl: database.url, poolSize: 4 });
      nodes.push(await createTestApp({ store }));
    }
    const setup = await nodes[0]?.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    expect(setup?.statusCode).toBe(201);
  });
  afterAll(async () => {
    for (const node of nodes) await node.close();
    await database.drop();
  });

  it('checks at most the limit of passwords when 60 attempts arrive at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        (nodes[index % 3] as TestApp).app.inject({
          method: 'POST',
          url: '/api/auth/login',
          // Each from its own address, so only the account's limit (5) applies.
          remoteAddress: `198.51.100.${index + 1}`,
          payload: { email: owner.email, password: `wrong guess ${index}` },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.statusCode);
    // 401 means the password was checked; the default policy allows 5 per account per 15 minutes.
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(55);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
    const refused = answers.find((answer) => answer.statusCode === 429);
    expect(refused?.json().error.code).toBe('login_throttled');
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('login throttling behind a proxy', () => {
  const policy = { windowMs: 60_000, maximumFailuresPerAccount: 100, maximumFailuresPerAddress: 3 };
  let behindProxy: TestApp;
  let direct: TestApp;
  const login = (app: TestApp, forwardedFor: string, password: string, email = owner.email) =>
    app.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': forwardedFor },
      payload: { email, password },
    });

  beforeAll(async () => {
    behindProxy = await createTestApp({ loginThrottlePolicy: policy, trustedProxies: '127.0.0.1' });
    direct = await createTestApp({ loginThrottlePolicy: policy });
    for (const app of [behindProxy, direct]) {
      await app.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    }
  });
  afterAll(async () => {
    await behindProxy.close();
    await direct.close();
  });

  it("counts each forwarded client's failures on its own address when the proxy is trusted", async () => {
    for (let index = 0; index < 3; index++) {
      expect((await login(behindProxy, '203.0.113.7', 'wrong password')).statusCode).toBe(401);
    }
    expect((await login(behindProxy, '203.0.113.7', 'wrong password')).statusCode).toBe(429);
    // Another client behind the same proxy is not locked out by the first one's failures.
    expect((await login(behindProxy, '203.0.113.8', 'wrong password')).statusCode).toBe(401);
    expect((await login(behindProxy, '203.0.113.8', owner.password)).statusCode).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    for (let index = 0; index < 3; index++) {
      expect((await login(direct, `203.0.113.${10 + index}`, 'wrong password')).statusCode).toBe(401);
    }
    // All three came from 127.0.0.1 whatever they claimed: the address is spent.
    expect((await login(direct, '203.0.113.99', 'wrong password')).statusCode).toBe(429);
  });

  it('gives a success its slot back, so people signing in through one address do not use it up', async () => {
    for (let index = 0; index < 10; index++) {
      expect((await login(behindProxy, '203.0.113.50', owner.password)).statusCode).toBe(200);
    }
    expect((await login(behindProxy, '203.0.113.50', 'wrong password')).statusCode).toBe(401);
  });
});
