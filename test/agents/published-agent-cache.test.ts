import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterNode, openEmbeddedNode, openPostgresNodes } from '../support/cluster-nodes.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';

type Node = ClusterNode;

/** Statements since `from` that read the agents table. */
const agentReadsSince = (node: Node, from: number) =>
  node.statements.texts.slice(from).filter((text) => /^select .* from "agents"/s.test(text)).length;

function send(
  node: Node,
  fixture: WorkspaceFixture,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  payload?: object,
) {
  return node.testApp.app.inject({
    method,
    url: `/api/workspaces/${fixture.workspaceId}${path}`,
    headers: headersFor(fixture.sessions.owner),
    ...(payload ? { payload } : {}),
  });
}

/** A mock execution of the published version; answers the version it ran and the agent reads it made. */
async function run(node: Node, fixture: WorkspaceFixture, reference: string) {
  const before = node.statements.texts.length;
  const response = await send(node, fixture, 'POST', `/agents/${reference}/executions`, {
    input: { q: 'x' },
    mode: 'mock',
  });
  return { response, agentReads: agentReadsSince(node, before) };
}

/** The published version is read once per node, then served from the node's copy until it changes. */
function cacheSuite(nodesOf: () => Node[]) {
  let fixture: WorkspaceFixture;
  beforeAll(async () => {
    const [first] = nodesOf();
    if (!first) throw new Error('no node');
    fixture = await createWorkspaceFixture(first.testApp.services, 'agent-cache');
  });

  it('skips the agent read on a repeated run, and runs a newly published version on every node at once', async () => {
    const nodes = nodesOf();
    const [first] = nodes;
    if (!first) throw new Error('no node');
    const created = await send(first, fixture, 'POST', '/agents', {
      name: 'Cached',
      provider: 'mock',
      model: 'm',
    });
    expect(created.statusCode).toBe(201);
    const agentId = created.json().id as string;
    for (const node of nodes) {
      const cold = await run(node, fixture, agentId);
      expect(cold.response.json().agentVersion).toBe(1);
      const warm = await run(node, fixture, agentId);
      expect(warm.response.statusCode, node.name).toBe(201);
      expect(warm.response.json().agentVersion).toBe(1);
      // The agent and its published version are read once per node, then served from its copy.
      expect(cold.agentReads, node.name).toBe(1);
      expect(warm.agentReads, node.name).toBe(0);
    }

    const saved = await send(first, fixture, 'PATCH', `/agents/${agentId}`, {
      systemPrompt: 'two',
      publish: true,
    });
    expect(saved.json()).toMatchObject({ version: 2, publishedVersion: 2 });
    for (const node of nodes.slice(1).concat(first))
      expect((await run(node, fixture, agentId)).response.json().agentVersion, node.name).toBe(2);

    const back = await send(first, fixture, 'POST', `/agents/${agentId}/rollback`, { version: 1 });
    expect(back.statusCode).toBe(200);
    for (const node of nodes.slice(1).concat(first))
      expect((await run(node, fixture, agentId)).response.json().agentVersion, node.name).toBe(1);
  });

  it('answers 404 on every node for an agent deleted on one, by id and by slug', async () => {
    const nodes = nodesOf();
    const [first] = nodes;
    if (!first) throw new Error('no node');
    const created = await send(first, fixture, 'POST', '/agents', {
      name: 'Doomed',
      provider: 'mock',
      model: 'm',
    });
    const { id, slug } = created.json() as { id: string; slug: string };
    for (const node of nodes)
      for (const reference of [id, slug])
        expect((await run(node, fixture, reference)).response.statusCode, node.name).toBe(201);
    expect((await send(first, fixture, 'DELETE', `/agents/${id}`)).statusCode).toBe(204);
    for (const node of nodes.slice(1).concat(first)) {
      for (const reference of [id, slug]) {
        const after = (await run(node, fixture, reference)).response;
        expect(after.statusCode, node.name).toBe(404);
        expect(after.json().error.code).toBe('agent_not_found');
      }
    }
  });

  it('follows a rename: the old slug stops answering on every node', async () => {
    const nodes = nodesOf();
    const [first] = nodes;
    if (!first) throw new Error('no node');
    const created = await send(first, fixture, 'POST', '/agents', {
      name: 'Renamed',
      provider: 'mock',
      model: 'm',
    });
    const { id, slug } = created.json() as { id: string; slug: string };
    for (const node of nodes) expect((await run(node, fixture, slug)).response.statusCode).toBe(201);
    const renamed = await send(first, fixture, 'PATCH', `/agents/${id}`, {
      slug: 'renamed-again',
      publish: true,
    });
    expect(renamed.statusCode).toBe(200);
    for (const node of nodes) {
      expect((await run(node, fixture, slug)).response.statusCode, node.name).toBe(404);
      expect((await run(node, fixture, 'renamed-again')).response.json().agentVersion).toBe(2);
    }
  });
}

describe('published agent cache, embedded (one process)', () => {
  const nodes: Node[] = [];
  beforeAll(async () => {
    nodes.push(await openEmbeddedNode());
  });
  afterAll(async () => {
    for (const node of nodes) await node.testApp.close();
  });
  cacheSuite(() => nodes);
});

describe('published agent cache, three nodes on PostgreSQL', () => {
  let database: TemporaryDatabase;
  const nodes: Node[] = [];

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    nodes.push(...(await openPostgresNodes(database, ['A', 'B', 'C'])));
  });
  afterAll(async () => {
    for (const node of nodes) await node.testApp.close();
    await database?.drop();
  });

  cacheSuite(() => nodes);
});
