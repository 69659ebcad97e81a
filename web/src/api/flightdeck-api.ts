import { createAccountApi } from './account-api.ts';
import { ApiError } from './api-error.ts';
import type {
  Agent,
  AgentDefinition,
  AgentVersion,
  ApiToken,
  AppNotification,
  AuditEvent,
  CatalogModel,
  CreatedApiToken,
  Execution,
  ExecutionComparison,
  ExecutionFilters,
  ExecutionMode,
  ExecutionStats,
  ExecutionStreamEvent,
  KeyProvider,
  List,
  Me,
  Member,
  MemberAdded,
  ProviderKey,
  ProviderKeyTest,
  RotatedSigningSecret,
  SignedIn,
  Usage,
  WebhookDelivery,
  Workspace,
  WorkspaceSettings,
} from './api-types.ts';
import { createApprovalApi } from './approval-api.ts';
import { createHttpClient, type HttpClient } from './http-client.ts';
import { createOverviewApi } from './overview-api.ts';
import { readEventStream } from './read-event-stream.ts';
import { createToolApi } from './tool-api.ts';
import type { ToolStreamEvent } from './tool-types.ts';
import { createWorkflowApi } from './workflow-api.ts';

export type AgentInput = Partial<AgentDefinition> & Pick<AgentDefinition, 'name' | 'provider' | 'model'>;

/** The whole public API the console uses, as plain async functions. No React here. */
export function createFlightdeckApi(http: HttpClient = createHttpClient()) {
  const workspacePath = (workspaceId: string, rest = '') =>
    `/api/workspaces/${encodeURIComponent(workspaceId)}${rest}`;

  /** Keeps the CSRF token of whichever answer carried one, so later unsafe requests pass. */
  function remember<Result extends { csrfToken: string | null }>(result: Result): Result {
    http.setCsrfToken(result.csrfToken);
    return result;
  }

  return {
    ...createWorkflowApi(http),
    ...createApprovalApi(http),
    ...createAccountApi(http),
    ...createOverviewApi(http),
    ...createToolApi(http),
    setupStatus: () => http.request<{ setupRequired: boolean }>('GET', '/api/setup'),
    setup: async (body: { email: string; password: string; name: string; workspaceName: string }) =>
      remember(await http.request<SignedIn>('POST', '/api/setup', { body })),
    login: async (body: { email: string; password: string }) =>
      remember(await http.request<SignedIn>('POST', '/api/auth/login', { body })),
    setPassword: async (body: { token: string; password: string }) =>
      remember(await http.request<SignedIn>('POST', '/api/auth/set-password', { body })),
    logout: async () => {
      await http.request<void>('POST', '/api/auth/logout');
      http.setCsrfToken(null);
    },
    me: async () => remember(await http.request<Me>('GET', '/api/me')),

    listWorkspaces: () => http.request<List<Workspace>>('GET', '/api/workspaces'),
    listCatalogModels: (provider: 'openai' | 'anthropic') =>
      http.request<List<CatalogModel>>('GET', '/api/models', { query: { provider } }),
    createWorkspace: (body: { name: string }) => http.request<Workspace>('POST', '/api/workspaces', { body }),
    getWorkspace: (workspaceId: string) => http.request<Workspace>('GET', workspacePath(workspaceId)),
    updateWorkspace: (workspaceId: string, body: { name?: string; settings?: Partial<WorkspaceSettings> }) =>
      http.request<Workspace>('PATCH', workspacePath(workspaceId), { body }),
    deleteWorkspace: (workspaceId: string) => http.request<void>('DELETE', workspacePath(workspaceId)),

    listMembers: (workspaceId: string) =>
      http.request<List<Member>>('GET', workspacePath(workspaceId, '/members')),
    addMember: (workspaceId: string, body: { email: string; role: string; name?: string }) =>
      http.request<MemberAdded>('POST', workspacePath(workspaceId, '/members'), { body }),
    changeMemberRole: (workspaceId: string, userId: string, role: string) =>
      http.request<Member>('PATCH', workspacePath(workspaceId, `/members/${userId}`), { body: { role } }),
    removeMember: (workspaceId: string, userId: string) =>
      http.request<void>('DELETE', workspacePath(workspaceId, `/members/${userId}`)),

    listTokens: (workspaceId: string) =>
      http.request<List<ApiToken>>('GET', workspacePath(workspaceId, '/tokens')),
    createToken: (
      workspaceId: string,
      body: { name: string; role: string; rateLimitPerMinute?: number | null },
    ) => http.request<CreatedApiToken>('POST', workspacePath(workspaceId, '/tokens'), { body }),
    revokeToken: (workspaceId: string, tokenId: string) =>
      http.request<void>('DELETE', workspacePath(workspaceId, `/tokens/${tokenId}`)),

    listProviderKeys: (workspaceId: string) =>
      http.request<List<ProviderKey>>('GET', workspacePath(workspaceId, '/provider-keys')),
    createProviderKey: (
      workspaceId: string,
      body: { provider: KeyProvider; label: string; apiKey: string; baseUrl?: string | null },
    ) => http.request<ProviderKey>('POST', workspacePath(workspaceId, '/provider-keys'), { body }),
    testUnsavedProviderKey: (
      workspaceId: string,
      body: { provider: KeyProvider; apiKey: string; baseUrl?: string | null },
    ) => http.request<ProviderKeyTest>('POST', workspacePath(workspaceId, '/provider-keys/test'), { body }),
    updateProviderKey: (
      workspaceId: string,
      keyId: string,
      body: { label?: string; apiKey?: string; baseUrl?: string | null; isDefault?: boolean },
    ) => http.request<ProviderKey>('PUT', workspacePath(workspaceId, `/provider-keys/${keyId}`), { body }),
    /** Agents whose draft or published version uses the key: what deleting it would stop. */
    listProviderKeyAgents: (workspaceId: string, keyId: string) =>
      http.request<List<{ id: string; slug: string; name: string }>>(
        'GET',
        workspacePath(workspaceId, `/provider-keys/${keyId}/agents`),
      ),
    deleteProviderKey: (workspaceId: string, keyId: string) =>
      http.request<void>('DELETE', workspacePath(workspaceId, `/provider-keys/${keyId}`)),
    testProviderKey: (workspaceId: string, keyId: string) =>
      http.request<ProviderKeyTest>('POST', workspacePath(workspaceId, `/provider-keys/${keyId}/test`)),

    listAuditEvents: (workspaceId: string, query: { cursor?: string; action?: string } = {}) =>
      http.request<List<AuditEvent>>('GET', workspacePath(workspaceId, '/audit-events'), { query }),

    listAgents: (
      workspaceId: string,
      query: { q?: string; tag?: string; cursor?: string; limit?: number } = {},
    ) => http.request<List<Agent>>('GET', workspacePath(workspaceId, '/agents'), { query }),
    getAgent: (workspaceId: string, agentId: string) =>
      http.request<Agent>('GET', workspacePath(workspaceId, `/agents/${agentId}`)),
    createAgent: (workspaceId: string, body: AgentInput) =>
      http.request<Agent>('POST', workspacePath(workspaceId, '/agents'), { body }),
    updateAgent: (workspaceId: string, agentId: string, body: Partial<AgentDefinition>) =>
      http.request<Agent>('PATCH', workspacePath(workspaceId, `/agents/${agentId}`), { body }),
    publishAgent: (workspaceId: string, agentId: string, version?: number) =>
      http.request<Agent>('POST', workspacePath(workspaceId, `/agents/${agentId}/publish`), {
        body: version === undefined ? {} : { version },
      }),
    rollbackAgent: (workspaceId: string, agentId: string, version: number) =>
      http.request<Agent>('POST', workspacePath(workspaceId, `/agents/${agentId}/rollback`), {
        body: { version },
      }),
    restoreAgentVersion: (workspaceId: string, agentId: string, version: number) =>
      http.request<Agent>(
        'POST',
        workspacePath(workspaceId, `/agents/${agentId}/versions/${version}/restore`),
      ),
    deleteAgent: (workspaceId: string, agentId: string) =>
      http.request<void>('DELETE', workspacePath(workspaceId, `/agents/${agentId}`)),
    listAgentVersions: (workspaceId: string, agentId: string) =>
      http.request<List<AgentVersion>>('GET', workspacePath(workspaceId, `/agents/${agentId}/versions`), {
        query: { limit: 200 },
      }),

    listExecutions: (workspaceId: string, filters: ExecutionFilters = {}) =>
      http.request<List<Execution>>('GET', workspacePath(workspaceId, '/executions'), {
        query: { ...filters },
      }),
    getExecution: (workspaceId: string, executionId: string) =>
      http.request<Execution>('GET', workspacePath(workspaceId, `/executions/${executionId}`)),
    executionStats: (workspaceId: string, query: { from?: string; to?: string; agentId?: string } = {}) =>
      http.request<ExecutionStats>('GET', workspacePath(workspaceId, '/executions/stats'), { query }),
    compareExecutions: (workspaceId: string, a: string, b: string) =>
      http.request<ExecutionComparison>('GET', workspacePath(workspaceId, '/executions/compare'), {
        query: { a, b },
      }),

    usage: (workspaceId: string) => http.request<Usage>('GET', workspacePath(workspaceId, '/usage')),
    agentBudget: (workspaceId: string, agentId: string) =>
      http.request<{
        agentId: string;
        monthlyLimitUsd: number | null;
        spentUsd: number;
        reservedUsd: number;
      }>('GET', workspacePath(workspaceId, `/agents/${agentId}/budget`)),
    setAgentBudget: (workspaceId: string, agentId: string, monthlyLimitUsd: number | null) =>
      http.request<{ agentId: string; monthlyLimitUsd: number | null }>(
        'PUT',
        workspacePath(workspaceId, `/agents/${agentId}/budget`),
        { body: { monthlyLimitUsd } },
      ),
    listNotifications: (workspaceId: string, query: { unread?: boolean; limit?: number } = {}) =>
      http.request<List<AppNotification>>('GET', workspacePath(workspaceId, '/notifications'), {
        query: { unread: query.unread === undefined ? undefined : String(query.unread), limit: query.limit },
      }),
    markNotificationRead: (workspaceId: string, notificationId: string) =>
      http.request<void>('POST', workspacePath(workspaceId, `/notifications/${notificationId}/read`)),
    listWebhookDeliveries: (workspaceId: string) =>
      http.request<List<WebhookDelivery>>('GET', workspacePath(workspaceId, '/webhook-deliveries')),
    rotateSigningSecret: (workspaceId: string) =>
      http.request<RotatedSigningSecret>('POST', workspacePath(workspaceId, '/alert-webhook/signing-secret')),

    /** Runs an agent with a streamed answer; yields text deltas, then the finished record. */
    async *streamExecution(
      workspaceId: string,
      agentId: string,
      /** Without `versionId`, the published version runs; the test panel names the draft it shows. */
      body: { input: unknown; mode: ExecutionMode; versionId?: string },
      signal?: AbortSignal,
    ): AsyncGenerator<ExecutionStreamEvent> {
      const response = await http.send('POST', workspacePath(workspaceId, `/agents/${agentId}/executions`), {
        body,
        headers: { accept: 'text/event-stream', 'idempotency-key': crypto.randomUUID() },
        signal,
      });
      if (!response.body)
        throw new ApiError({ status: 0, code: 'stream_missing', message: 'No stream came back.' });
      for await (const event of readEventStream(response.body)) {
        const data = JSON.parse(event.data) as unknown;
        if (event.event === 'text-delta') yield { type: 'text-delta', text: (data as { text: string }).text };
        else if (event.event === 'execution-start')
          yield { type: 'execution-start', execution: data as Execution };
        else if (event.event === 'execution-end')
          yield { type: 'execution-end', execution: data as Execution };
        else if (
          event.event === 'tool-call' ||
          event.event === 'tool-result' ||
          event.event === 'tool-approval'
        )
          yield { ...(data as ToolStreamEvent), type: event.event } as ToolStreamEvent;
      }
    },
  };
}

export type FlightdeckApi = ReturnType<typeof createFlightdeckApi>;
