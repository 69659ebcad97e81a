import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeChannel } from '../../src/store/change-notifications.ts';
import { openStore } from '../../src/store/database.ts';
import { createPostgresChangeNotifications } from '../../src/store/postgres-change-notifications.ts';
import {
  type ClusterNode,
  countingLogger,
  openEmbeddedNode,
  openPostgresNodes,
  until,
} from '../support/cluster-nodes.ts';
import {
  type Credentials,
  createWorkspaceFixture,
  headersFor,
  type WorkspaceFixture,
} from '../support/identity-fixture.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';
import { createTestApp } from '../support/test-app.ts';

type Node = ClusterNode;

const workspaceUrl = (fixture: WorkspaceFixture) => `/api/workspaces/${fixture.workspaceId}`;

function get(node: Node, url: string, credentials: Credentials) {
  return node.testApp.app.inject({ method: 'GET', url, headers: headersFor(credentials) });
}

let agents = 0;
function createAgent(node: Node, fixture: WorkspaceFixture, credentials: Credentials) {
  return node.testApp.app.inject({
    method: 'POST',
    url: `${workspaceUrl(fixture)}/agents`,
    headers: headersFor(credentials),
    payload: { name: `Agent ${++agents} on ${node.name}`, provider: 'mock', model: 'mock-model' },
  });
}

async function createToken(node: Node, fixture: WorkspaceFixture, by: Credentials, role: string) {
  const created = await node.testApp.app.inject({
    method: 'POST',
    url: `${workspaceUrl(fixture)}/tokens`,
    headers: headersFor(by),
    payload: { name: `token ${role}`, role },
  });
  expect(created.statusCode).toBe(201);
  return {
    id: created.json().id as string,
    credentials: { kind: 'token', token: created.json().token } as Credentials,
  };
}

/** Statements one request sends from this node. */
async function statementsOf(node: Node, request: () => Promise<{ statusCode: number }>) {
  const before = node.statements.count;
  const response = await request();
  expect(response.statusCode).toBe(200);
  return node.statements.count - before;
}

/** The revocation cases, run against however many nodes share the database. */
function revocationSuite(nodesOf: () => Node[]) {
  let fixture: WorkspaceFixture;
  beforeAll(async () => {
    const [first] = nodesOf();
    if (!first) throw new Error('no node');
    fixture = await createWorkspaceFixture(first.testApp.services, 'cache');
  });

  it('refuses a revoked token on the very next request on every node', async () => {
    const nodes = nodesOf();
    const [first] = nodes;
    if (!first) throw new Error('no node');
    const token = await createToken(first, fixture, fixture.sessions.admin, 'member');
    for (const node of nodes) {
      for (let round = 0; round < 2; round++)
        expect((await get(node, workspaceUrl(fixture), token.credentials)).statusCode).toBe(200);
      expect(node.testApp.services.authentication.cacheSize.tokens).toBeGreaterThan(0);
    }
    const revoked = await first.testApp.app.inject({
      method: 'DELETE',
      url: `${workspaceUrl(fixture)}/tokens/${token.id}`,
      headers: headersFor(fixture.sessions.owner),
    });
    expect(revoked.statusCode).toBe(204);
    for (const node of nodes.slice(1).concat(first)) {
      const after = await get(node, workspaceUrl(fixture), token.credentials);
      expect(after.statusCode, node.name).toBe(401);
      expect(after.json().error.code).toBe('invalid_token');
    }
  });

  it("answers 404 to a removed member's session and 401 to their tokens on every node", async () => {
    const nodes = nodesOf();
    const [first] = nodes;
    if (!first) throw new Error('no node');
    const theirToken = await createToken(first, fixture, fixture.sessions.member, 'viewer');
    for (const node of nodes) {
      for (let round = 0; round < 2; round++) {
        expect((await get(node, workspaceUrl(fixture), fixture.sessions.member)).statusCode).toBe(200);
        expect((await get(node, workspaceUrl(fixture), theirToken.credentials)).statusCode).toBe(200);
      }
      expect(node.testApp.services.authentication.cacheSize.memberships).toBeGreaterThan(0);
    }
    const removed = await first.testApp.app.inject({
      method: 'DELETE',
      url: `${workspaceUrl(fixture)}/members/${fixture.users.member}`,
      headers: headersFor(fixture.sessions.owner),
    });
    expect(removed.statusCode).toBe(204);
    for (const node of nodes.slice(1).concat(first)) {
      const session = await get(node, workspaceUrl(fixture), fixture.sessions.member);
      expect(session.statusCode, node.name).toBe(404);
      expect(session.json().error.code).toBe('workspace_not_found');
      expect((await get(node, workspaceUrl(fixture), theirToken.credentials)).statusCode, node.name).toBe(
        401,
      );
    }
  });

  it('re-evaluates a role lowered to viewer on the very next write on every node', async () => {
    const nodes = nodesOf();
    const [first] = nodes;
    if (!first) throw new Error('no node');
    const adminToken = await createToken(first, fixture, fixture.sessions.admin, 'admin');
    for (const node of nodes) {
      expect((await createAgent(node, fixture, fixture.sessions.admin)).statusCode).toBe(201);
      expect((await createAgent(node, fixture, adminToken.credentials)).statusCode).toBe(201);
    }
    const lowered = await first.testApp.app.inject({
      method: 'PATCH',
      url: `${workspaceUrl(fixture)}/members/${fixture.users.admin}`,
      headers: headersFor(fixture.sessions.owner),
      payload: { role: 'viewer' },
    });
    expect(lowered.statusCode).toBe(200);
    for (const node of nodes.slice(1).concat(first)) {
      const bySession = await createAgent(node, fixture, fixture.sessions.admin);
      expect(bySession.statusCode, node.name).toBe(403);
      expect(bySession.json().error.details.role).toBe('viewer');
      // A token never has more rights than its creator has now.
      expect((await createAgent(node, fixture, adminToken.credentials)).statusCode, node.name).toBe(403);
      expect((await get(node, workspaceUrl(fixture), fixture.sessions.admin)).statusCode).toBe(200);
    }
  });

  it('ends a signed-out session on the very next request on every node', async () => {
    const nodes = nodesOf();
    const [first] = nodes;
    if (!first) throw new Error('no node');
    for (const node of nodes)
      expect((await get(node, '/api/me', fixture.sessions.viewer)).statusCode).toBe(200);
    const signedOut = await first.testApp.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: headersFor(fixture.sessions.viewer),
    });
    expect(signedOut.statusCode).toBe(204);
    for (const node of nodes.slice(1).concat(first))
      expect((await get(node, '/api/me', fixture.sessions.viewer)).statusCode, node.name).toBe(401);
  });

  it('serves a repeated authenticated GET without the authentication round trips', async () => {
    const nodes = nodesOf();
    const node = nodes.at(-1);
    const [first] = nodes;
    if (!node || !first) throw new Error('no node');
    // A workspace whose members no node has seen over HTTP yet.
    const fixture = await createWorkspaceFixture(first.testApp.services, 'count');
    const token = { credentials: fixture.tokens.member };
    const url = `${workspaceUrl(fixture)}/members`;
    // Warm what is not authentication (workspace settings for the rate limit) on this node, with a
    // token, so the owner's membership is not cached yet.
    await get(node, url, fixture.tokens.viewer);

    const tokenFirst = await statementsOf(node, () => get(node, url, token.credentials));
    const tokenSecond = await statementsOf(node, () => get(node, url, token.credentials));
    // First: token lookup and its last-used touch. Then neither.
    expect(tokenSecond).toBeLessThan(tokenFirst);
    expect(tokenFirst - tokenSecond).toBeGreaterThanOrEqual(2);

    const session = await first.testApp.services.authentication.issueSession(fixture.users.owner, {
      address: null,
      userAgent: null,
    });
    const cookie: Credentials = {
      kind: 'session',
      cookie: `flightdeck_session=${session.sessionId}`,
      csrfToken: session.csrfToken,
    };
    const sessionFirst = await statementsOf(node, () => get(node, url, cookie));
    const sessionSecond = await statementsOf(node, () => get(node, url, cookie));
    // First: session lookup and membership (a session this fresh needs no touch). Then neither.
    expect(sessionFirst - sessionSecond).toBeGreaterThanOrEqual(2);
    const routeOnly = sessionSecond;
    expect(tokenSecond).toBe(routeOnly);
  });
}

describe('authentication cache, embedded (one process)', () => {
  const nodes: Node[] = [];
  beforeAll(async () => {
    nodes.push(await openEmbeddedNode());
  });
  afterAll(async () => {
    for (const node of nodes) await node.testApp.close();
  });
  revocationSuite(() => nodes);
});

describe('authentication cache, three nodes on PostgreSQL', () => {
  let database: TemporaryDatabase;
  const nodes: Node[] = [];

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    nodes.push(...(await openPostgresNodes(database, ['A', 'B', 'C'])));
  });
  afterAll(async () => {
    for (const node of nodes) await node.testApp.close();
    await database.drop();
  });

  revocationSuite(() => nodes);

  it('drops its copies when the listener is lost, and caches again once it is back', async () => {
    const [first, second] = nodes;
    if (!first || !second) throw new Error('no node');
    const fixture = await createWorkspaceFixture(first.testApp.services, 'lost');
    const token = await createToken(first, fixture, fixture.sessions.owner, 'viewer');
    expect((await get(second, workspaceUrl(fixture), token.credentials)).statusCode).toBe(200);
    expect(second.testApp.services.authentication.cacheSize.tokens).toBeGreaterThan(0);

    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where application_name = 'flightdeck-change-listener' and datname = current_database()`,
      );
      await until(() => second.testApp.services.authentication.cacheSize.tokens === 0, 'the cache to drop');
      // A change nobody announces (as if its notice were lost while the listener was down).
      await admin.query('update api_tokens set revoked_at = now() where id = $1', [token.id]);
    } finally {
      await admin.end();
    }
    expect((await get(second, workspaceUrl(fixture), token.credentials)).statusCode).toBe(401);

    await until(() => nodes.every((node) => node.notifications?.listening === true), 'listeners to return');
    const fresh = await createToken(first, fixture, fixture.sessions.owner, 'viewer');
    const url = workspaceUrl(fixture);
    const firstCount = await statementsOf(second, () => get(second, url, fresh.credentials));
    const secondCount = await statementsOf(second, () => get(second, url, fresh.credentials));
    expect(secondCount).toBeLessThan(firstCount);
  });

  it('caches nothing on a node whose listener cannot connect, and still sees every revocation', async () => {
    const [first] = nodes;
    if (!first) throw new Error('no node');
    const { statements, queryLogger } = countingLogger();
    const store = await openStore({ databaseUrl: database.url, poolSize: 2, queryLogger });
    const unreachable = createPostgresChangeNotifications({
      url: 'postgres://postgres@127.0.0.1:1/postgres',
      channel: changeChannel,
    });
    const deaf: Node = {
      name: 'deaf',
      testApp: await createTestApp({ store, changeNotifications: unreachable }),
      statements,
      notifications: unreachable,
    };
    try {
      const fixture = await createWorkspaceFixture(first.testApp.services, 'deaf');
      const token = await createToken(first, fixture, fixture.sessions.owner, 'viewer');
      const url = workspaceUrl(fixture);
      await get(deaf, url, token.credentials);
      const again = await statementsOf(deaf, () => get(deaf, url, token.credentials));
      const andAgain = await statementsOf(deaf, () => get(deaf, url, token.credentials));
      expect(andAgain).toBe(again);
      expect(deaf.testApp.services.authentication.cacheSize.tokens).toBe(0);
      await first.testApp.app.inject({
        method: 'DELETE',
        url: `${url}/tokens/${token.id}`,
        headers: headersFor(fixture.sessions.owner),
      });
      expect((await get(deaf, url, token.credentials)).statusCode).toBe(401);
    } finally {
      await deaf.testApp.close();
    }
  });
});
