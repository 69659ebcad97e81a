import { newId } from '../../src/core/ids.ts';
import { type Role, roles } from '../../src/security/permissions.ts';
import type { Services } from '../../src/services/create-services.ts';

/** Credentials for one caller: a bearer token, or a session cookie with its CSRF token. */
export type Credentials =
  | { kind: 'token'; token: string }
  | { kind: 'session'; cookie: string; csrfToken: string }
  | { kind: 'none' };

/** Headers that present the credentials (CSRF included for sessions). */
export function headersFor(credentials: Credentials): Record<string, string> {
  if (credentials.kind === 'token') return { authorization: `Bearer ${credentials.token}` };
  if (credentials.kind === 'session')
    return { cookie: credentials.cookie, 'x-csrf-token': credentials.csrfToken };
  return {};
}

export interface WorkspaceFixture {
  workspaceId: string;
  /** A user per role, each with a session, and an API token per role made by the owner. */
  sessions: Record<Role, Credentials>;
  tokens: Record<Role, Credentials>;
  users: Record<Role, string>;
  /** A member and a token that are targets of member/token routes, not callers. */
  targetUserId: string;
  targetTokenId: string;
  targetProviderKeyId: string;
  /** An agent (mock provider) and one of its executions, targets of agent and execution routes. */
  targetAgentId: string;
  targetExecutionId: string;
}

let counter = 0;

/** Builds a workspace with one user per role, a token per role and spare targets, straight through services. */
export async function createWorkspaceFixture(services: Services, label: string): Promise<WorkspaceFixture> {
  const suffix = `${label}-${++counter}-${newId().slice(-6)}`;
  const passwordHash = await services.passwordHasher.hash('fixture password long');
  const owner = await services.repositories.users.insert({
    id: newId(),
    email: `owner-${suffix}@example.test`,
    name: `Owner ${suffix}`,
    passwordHash,
  });
  const ownerPrincipal = {
    kind: 'user' as const,
    userId: owner.id,
    email: owner.email,
    name: owner.name,
    sessionIdHash: '',
    csrfToken: '',
  };
  const workspace = await services.workspaces.create(ownerPrincipal, { name: `Workspace ${suffix}` });
  const ownerAccess = { workspaceId: workspace.id, role: 'owner' as const, userId: owner.id, tokenId: null };
  // Suites fire far more requests a minute than a person; the guardrail suites set their own limits.
  await services.workspaces.update(ownerAccess, { settings: { rateLimitPerMinute: 1_000_000 } });

  const users = { owner: owner.id } as Record<Role, string>;
  const sessions = {} as Record<Role, Credentials>;
  const tokens = {} as Record<Role, Credentials>;
  for (const role of roles) {
    if (role !== 'owner') {
      const { member } = await services.members.add(ownerAccess, {
        email: `${role}-${suffix}@example.test`,
        role,
      });
      await services.repositories.users.setPassword(member.userId, passwordHash);
      users[role] = member.userId;
    }
    const session = await services.authentication.issueSession(users[role], {
      address: '127.0.0.1',
      userAgent: 'fixture',
    });
    sessions[role] = {
      kind: 'session',
      cookie: `flightdeck_session=${session.sessionId}`,
      csrfToken: session.csrfToken,
    };
    const created = await services.apiTokens.create(ownerAccess, { name: `${role} token`, role });
    tokens[role] = { kind: 'token', token: created.token };
  }
  const { member: target } = await services.members.add(ownerAccess, {
    email: `target-${suffix}@example.test`,
    role: 'member',
  });
  const targetToken = await services.apiTokens.create(ownerAccess, { name: 'target token', role: 'viewer' });
  const actor = { userId: owner.id, tokenId: null, address: null, userAgent: null };
  // Port 9 (discard) refuses at once, so connection tests against it are quick failures.
  const providerKey = await services.providerKeys.create(ownerAccess, actor, {
    provider: 'openai-compatible',
    label: 'target key',
    apiKey: `sk-fixture-${suffix}`,
    baseUrl: 'http://127.0.0.1:9/v1',
  });
  const agent = await services.agents.create(ownerAccess, {
    name: 'Target agent',
    provider: 'mock',
    model: 'mock-model',
  });
  const prepared = await services.executions.prepare(
    ownerAccess,
    agent.id,
    { input: {}, mode: 'mock' },
    { trigger: 'api' },
  );
  const execution = prepared.kind === 'run' ? await prepared.run({ stream: false }) : prepared.execution;
  return {
    targetAgentId: agent.id,
    targetExecutionId: execution.id,
    targetProviderKeyId: providerKey.id,
    workspaceId: workspace.id,
    sessions,
    tokens,
    users,
    targetUserId: target.userId,
    targetTokenId: targetToken.id,
  };
}
