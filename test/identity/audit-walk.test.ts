import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { routeTableOf } from '../../src/server/create-app.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Every write route of the app is either security-relevant — and then leaves exactly one audit
 * event with the action below, naming actor and target and no secret — or listed with the reason it
 * is not. A route added later fails the first test until it is classified (issue 17).
 */
interface Context {
  fixture: WorkspaceFixture;
  ids: Record<string, string>;
}
interface AuditedWrite {
  action: string;
  request(context: Context): { url: string; payload?: unknown };
}

const secretValue = 'sk-audit-walk-canary-0099';

const ws = (context: Context, path: string) => `/api/workspaces/${context.fixture.workspaceId}${path}`;

const audited: Record<string, AuditedWrite> = {
  'PATCH /api/workspaces/:workspaceId': {
    action: 'workspace.settings_changed',
    request: (c) => ({
      url: ws(c, ''),
      payload: { name: 'Renamed by the walk', settings: { rateLimitPerMinute: 77 } },
    }),
  },
  'POST /api/workspaces/:workspaceId/members': {
    action: 'member.added',
    request: (c) => ({
      url: ws(c, '/members'),
      payload: { email: `walk-${c.ids.run}@example.test`, role: 'viewer' },
    }),
  },
  'PATCH /api/workspaces/:workspaceId/members/:userId': {
    action: 'member.role_changed',
    request: (c) => ({ url: ws(c, `/members/${c.fixture.targetUserId}`), payload: { role: 'admin' } }),
  },
  'DELETE /api/workspaces/:workspaceId/members/:userId': {
    action: 'member.removed',
    request: (c) => ({ url: ws(c, `/members/${c.fixture.targetUserId}`) }),
  },
  'POST /api/workspaces/:workspaceId/tokens': {
    action: 'token.created',
    request: (c) => ({
      url: ws(c, '/tokens'),
      payload: { name: 'walk token', role: 'member', rateLimitPerMinute: 30 },
    }),
  },
  'DELETE /api/workspaces/:workspaceId/tokens/:tokenId': {
    action: 'token.revoked',
    request: (c) => ({ url: ws(c, `/tokens/${c.fixture.targetTokenId}`) }),
  },
  'POST /api/workspaces/:workspaceId/provider-keys': {
    action: 'provider_key.created',
    request: (c) => ({
      url: ws(c, '/provider-keys'),
      payload: {
        provider: 'openai-compatible',
        label: 'walk key',
        apiKey: secretValue,
        baseUrl: c.ids.fakeUrl,
      },
    }),
  },
  'POST /api/workspaces/:workspaceId/provider-keys/test': {
    action: 'provider_key.tested',
    request: (c) => ({
      url: ws(c, '/provider-keys/test'),
      payload: { provider: 'openai-compatible', apiKey: secretValue, baseUrl: c.ids.fakeUrl },
    }),
  },
  'PUT /api/workspaces/:workspaceId/provider-keys/:providerKeyId': {
    action: 'provider_key.updated',
    request: (c) => ({ url: ws(c, `/provider-keys/${c.ids.keyId}`), payload: { label: 'walk key renamed' } }),
  },
  'POST /api/workspaces/:workspaceId/provider-keys/:providerKeyId/test': {
    action: 'provider_key.tested',
    request: (c) => ({ url: ws(c, `/provider-keys/${c.ids.keyId}/test`), payload: {} }),
  },
  'DELETE /api/workspaces/:workspaceId/provider-keys/:providerKeyId': {
    action: 'provider_key.deleted',
    request: (c) => ({ url: ws(c, `/provider-keys/${c.ids.keyId}`) }),
  },
  'POST /api/workspaces/:workspaceId/secrets': {
    action: 'secret.created',
    request: (c) => ({ url: ws(c, '/secrets'), payload: { name: 'WALK_SECRET', value: secretValue } }),
  },
  'PUT /api/workspaces/:workspaceId/secrets/:secretName': {
    action: 'secret.updated',
    request: (c) => ({ url: ws(c, '/secrets/WALK_SECRET'), payload: { value: `${secretValue}-2` } }),
  },
  'DELETE /api/workspaces/:workspaceId/secrets/:secretName': {
    action: 'secret.deleted',
    request: (c) => ({ url: ws(c, '/secrets/WALK_SECRET') }),
  },
  'POST /api/workspaces/:workspaceId/mcp-servers': {
    action: 'mcp_server.created',
    request: (c) => ({
      url: ws(c, '/mcp-servers'),
      payload: {
        name: 'walk mcp',
        url: `${c.ids.fakeUrl}/mcp`,
        headers: { authorization: `Bearer ${secretValue}` },
      },
    }),
  },
  'PATCH /api/workspaces/:workspaceId/mcp-servers/:mcpServerId': {
    action: 'mcp_server.updated',
    request: (c) => ({
      url: ws(c, `/mcp-servers/${c.ids.mcpServerId}`),
      payload: { name: 'walk mcp renamed' },
    }),
  },
  'DELETE /api/workspaces/:workspaceId/mcp-servers/:mcpServerId': {
    action: 'mcp_server.deleted',
    request: (c) => ({ url: ws(c, `/mcp-servers/${c.ids.mcpServerId}`) }),
  },
  'PUT /api/workspaces/:workspaceId/agents/:agentId/budget': {
    action: 'workspace.settings_changed',
    request: (c) => ({ url: ws(c, `/agents/${c.ids.agentId}/budget`), payload: { monthlyLimitUsd: 12.5 } }),
  },
  'POST /api/workspaces/:workspaceId/alert-webhook/signing-secret': {
    action: 'workspace.settings_changed',
    request: (c) => ({ url: ws(c, '/alert-webhook/signing-secret'), payload: {} }),
  },
  'POST /api/workspaces/:workspaceId/agents/:agentId/publish': {
    action: 'agent.published',
    request: (c) => ({ url: ws(c, `/agents/${c.ids.agentId}/publish`), payload: {} }),
  },
  'POST /api/workspaces/:workspaceId/agents/:agentId/rollback': {
    action: 'agent.rolled_back',
    request: (c) => ({ url: ws(c, `/agents/${c.ids.agentId}/rollback`), payload: { version: 1 } }),
  },
  'PUT /api/workspaces/:workspaceId/agents/:agentId/labels/:label': {
    action: 'agent.label_set',
    request: (c) => ({ url: ws(c, `/agents/${c.ids.agentId}/labels/staging`), payload: { version: 2 } }),
  },
  'DELETE /api/workspaces/:workspaceId/agents/:agentId/labels/:label': {
    action: 'agent.label_removed',
    request: (c) => ({ url: ws(c, `/agents/${c.ids.agentId}/labels/staging`) }),
  },
  'POST /api/workspaces/:workspaceId/workflows/:workflowId/webhook-secret': {
    action: 'workflow.webhook_secret_rotated',
    request: (c) => ({ url: ws(c, `/workflows/${c.ids.workflowId}/webhook-secret`), payload: {} }),
  },
};

/** Write routes that change nothing a security review asks about, or record themselves elsewhere. */
const notAudited: Record<string, string> = {
  'POST /api/alerts/alertmanager': 'turns alerts into notifications; authenticated by the shared secret',
  'POST /api/setup': 'first owner of an empty instance, once',
  'POST /api/auth/login':
    'a failed sign-in is audited (auth.login_failed, tested below); a success starts a session',
  'POST /api/auth/set-password':
    'consumes a one-time link; the membership it activates was audited as member.added',
  'POST /api/auth/logout': 'ends the caller’s own session',
  'POST /api/workspaces': 'audited as workspace.created in the new workspace (tested below)',
  'DELETE /api/workspaces/:workspaceId': 'the workspace and its audit log are deleted together',
  'POST /api/invitations/:invitationId/accept':
    'the invitee’s own answer; joining is audited as member.added in the workspace (account-claims tests)',
  'POST /api/invitations/:invitationId/decline': 'the invitee’s own answer to an audited member.added',
  'POST /api/me/email-verification': 'sends the caller a link to their own address',
  'POST /api/auth/verify-email': 'proves control of the caller’s own address',
  'POST /api/auth/password-reset': 'sends a link to the address; changes nothing until used',
  'POST /api/workspaces/:workspaceId/mcp-servers/:mcpServerId/tools/call': 'runs a tool, like an execution',
  'POST /api/workspaces/:workspaceId/notifications/:notificationId/read': 'the caller’s own inbox state',
  'POST /api/workspaces/:workspaceId/agents': 'versioned: each version records who made it',
  'PATCH /api/workspaces/:workspaceId/agents/:agentId': 'versioned: each version records who made it',
  'DELETE /api/workspaces/:workspaceId/agents/:agentId': 'a soft delete; versions and executions stay',
  'POST /api/workspaces/:workspaceId/agents/:agentId/versions/:version/restore':
    'makes a draft; callers run it only after an audited publish',
  'POST /api/workspaces/:workspaceId/agents/:agentId/executions': 'an execution is its own record',
  'POST /api/workspaces/:workspaceId/agents/:agentId/tools/:toolName/test':
    'one tool call by hand, like an execution',
  'POST /v1/chat/completions': 'an execution is its own record',
  'POST /api/workspaces/:workspaceId/workflows': 'versioned: each version records who made it',
  'POST /api/workspaces/:workspaceId/workflows/validate': 'changes nothing',
  'PATCH /api/workspaces/:workspaceId/workflows/:workflowId': 'versioned: each version records who made it',
  'DELETE /api/workspaces/:workspaceId/workflows/:workflowId': 'a soft delete; versions and runs stay',
  'POST /api/workspaces/:workspaceId/workflows/:workflowId/runs': 'a run is its own record',
  'POST /api/workspaces/:workspaceId/runs/:runId/cancel': 'the run records who cancelled it',
  'POST /api/workspaces/:workspaceId/runs/:runId/retry': 'a run is its own record',
  'POST /api/workspaces/:workspaceId/approvals/:approvalId/approve': 'the approval keeps its decision trail',
  'POST /api/workspaces/:workspaceId/approvals/:approvalId/reject': 'the approval keeps its decision trail',
  'POST /api/workspaces/:workspaceId/approvals/:approvalId/request-revision':
    'the approval keeps its decision trail',
  'POST /api/workspaces/:workspaceId/agents/:agentId/runs': 'a work session is a run, its own record',
  'POST /api/workspaces/:workspaceId/context-documents': 'versioned content',
  'PUT /api/workspaces/:workspaceId/context-documents/:documentId': 'versioned content',
  'DELETE /api/workspaces/:workspaceId/context-documents/:documentId': 'content, not access',
  'POST /hooks/workflows/:workflowId/:secret': 'starts a run, its own record',
};

describe('the audit walk over every write route', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let context: Context;

  const send = (method: string, url: string, payload?: unknown) =>
    testApp.app.inject({
      method: method as 'POST',
      url,
      headers: headersFor(context.fixture.sessions.owner),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const events = async (workspaceId = context.fixture.workspaceId) =>
    (await send('GET', `/api/workspaces/${workspaceId}/audit-events?limit=200`)).json().items as Array<{
      action: string;
      actor: { userId: string | null };
      target: { type: string; id: string | null };
      metadata: Record<string, unknown>;
    }>;

  beforeAll(async () => {
    testApp = await createTestApp();
    fake = await startFakeProvider();
    const fixture = await createWorkspaceFixture(testApp.services, 'audit-walk');
    context = { fixture, ids: { run: Date.now().toString(36), fakeUrl: `${fake.url}/v1` } };
    const key = await send('POST', ws(context, '/provider-keys'), {
      provider: 'openai-compatible',
      label: 'walk target key',
      apiKey: secretValue,
      baseUrl: context.ids.fakeUrl,
    });
    const mcp = await send('POST', ws(context, '/mcp-servers'), {
      name: 'walk target',
      url: `${fake.url}/mcp`,
    });
    const agent = await send('POST', ws(context, '/agents'), {
      name: 'Walked',
      provider: 'mock',
      model: 'm',
    });
    await send('PATCH', ws(context, `/agents/${agent.json().id}`), { systemPrompt: 'two' });
    const workflow = await send('POST', ws(context, '/workflows'), {
      name: 'Walked flow',
      steps: [{ id: 'only', agent: agent.json().slug, input: {} }],
    });
    for (const response of [key, mcp, agent, workflow]) expect(response.statusCode, response.body).toBe(201);
    Object.assign(context.ids, {
      keyId: key.json().id,
      mcpServerId: mcp.json().id,
      agentId: agent.json().id,
      workflowId: workflow.json().id,
    });
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it('classifies every write route as audited or not, with a reason', () => {
    const writes = routeTableOf(testApp.app)
      .filter((route) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method))
      .map((route) => `${route.method} ${route.url}`);
    const unclassified = writes.filter((route) => !(route in audited) && !(route in notAudited));
    expect(unclassified, 'classify these routes in audit-walk.test.ts').toEqual([]);
    const both = Object.keys(audited).filter((route) => route in notAudited);
    expect(both).toEqual([]);
    const stale = [...Object.keys(audited), ...Object.keys(notAudited)].filter(
      (route) => !writes.includes(route),
    );
    expect(stale, 'routes that no longer exist').toEqual([]);
  });

  it('leaves exactly one event per security-relevant write, naming actor and target, never a secret', async () => {
    // In the table's order: creates come before the updates and deletes of the same thing.
    for (const [route, write] of Object.entries(audited)) {
      const [method] = route.split(' ');
      const before = await events();
      const { url, payload } = write.request(context);
      const response = await send(method ?? 'POST', url, payload);
      expect(response.statusCode, `${route}: ${response.body}`).toBeLessThan(300);
      const after = await events();
      const added = after.slice(0, after.length - before.length);
      expect(
        added.map((event) => event.action),
        route,
      ).toEqual([write.action]);
      const [event] = added;
      expect(event?.actor.userId, route).toBe(context.fixture.users.owner);
      expect(event?.target.type, route).toBeTruthy();
      expect(JSON.stringify(event), route).not.toContain(secretValue);
    }
  });

  it('audits a new workspace in that workspace and a failed sign-in in the user’s workspaces', async () => {
    const created = await send('POST', '/api/workspaces', { name: 'Walked workspace' });
    expect(created.statusCode).toBe(201);
    const workspaceId = created.json().id as string;
    expect((await events(workspaceId)).map((event) => event.action)).toEqual(['workspace.created']);

    const owner = await testApp.services.repositories.users.findById(context.fixture.users.owner);
    const before = (await events()).length;
    const failed = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: owner?.email, password: 'not the password at all' },
    });
    expect(failed.statusCode).toBe(401);
    const after = await events();
    expect(after.slice(0, after.length - before).map((event) => event.action)).toEqual(['auth.login_failed']);
    expect(JSON.stringify(after[0])).not.toContain('not the password at all');
  });
});
