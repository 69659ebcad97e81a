import type { Database } from '../database.ts';
import { createAgentRepository } from './agent-repository.ts';
import { createApiTokenRepository } from './api-token-repository.ts';
import { createAuditEventRepository } from './audit-event-repository.ts';
import { createBudgetRepository } from './budget-repository.ts';
import { createContextDocumentRepository } from './context-document-repository.ts';
import { createExecutionEndWrites } from './execution-end-writes.ts';
import { createExecutionRepository } from './execution-repository.ts';
import { createLockRepository } from './lock-repository.ts';
import { createLoginThrottleRepository } from './login-throttle-repository.ts';
import { createMcpServerRepository } from './mcp-server-repository.ts';
import { createNotificationRepository } from './notification-repository.ts';
import { createPasswordTokenRepository } from './password-token-repository.ts';
import { createProviderKeyRepository } from './provider-key-repository.ts';
import { createRecordedExchangeRepository } from './recorded-exchange-repository.ts';
import { createSessionRepository } from './session-repository.ts';
import { createUserRepository } from './user-repository.ts';
import { createWorkflowApprovalRepository } from './workflow-approval-repository.ts';
import { createWorkflowRepository } from './workflow-repository.ts';
import { createWorkflowRunRepository } from './workflow-run-repository.ts';
import { createWorkspaceOverviewRepository } from './workspace-overview-repository.ts';
import { createWorkspaceRepository } from './workspace-repository.ts';
import { createWorkspaceSecretRepository } from './workspace-secret-repository.ts';

export interface RepositoryOptions {
  /** Group commit of execution records and budget settlements; off inside a transaction. */
  groupCommit?: boolean;
  /**
   * Rows a batch statement writes unnamed (planned on every run) before it keeps one plan per
   * connection (see grown-statement-name.ts). By default the finish waits for 1,000 and the lease
   * settlement, whose plan is right on any table size, is named from the first; 0 names both so.
   */
  namedStatementsAfterRows?: number;
}

/** Every repository over one database handle (a pool, or one transaction). */
export function createRepositories(database: Database, options: RepositoryOptions = {}) {
  // One batcher for the two writes that end an execution: its finish and its budget settlement.
  const endWrites = createExecutionEndWrites(database, options);
  return {
    users: createUserRepository(database),
    workspaces: createWorkspaceRepository(database),
    sessions: createSessionRepository(database),
    apiTokens: createApiTokenRepository(database),
    passwordTokens: createPasswordTokenRepository(database),
    loginThrottles: createLoginThrottleRepository(database),
    locks: createLockRepository(database),
    agents: createAgentRepository(database),
    executions: createExecutionRepository(database, { ...options, endWrites }),
    providerKeys: createProviderKeyRepository(database),
    auditEvents: createAuditEventRepository(database),
    budgets: createBudgetRepository(database, { ...options, endWrites }),
    notifications: createNotificationRepository(database),
    workspaceSecrets: createWorkspaceSecretRepository(database),
    workflows: createWorkflowRepository(database),
    workflowRuns: createWorkflowRunRepository(database),
    workflowApprovals: createWorkflowApprovalRepository(database),
    contextDocuments: createContextDocumentRepository(database),
    workspaceOverview: createWorkspaceOverviewRepository(database),
    mcpServers: createMcpServerRepository(database),
    recordedExchanges: createRecordedExchangeRepository(database),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

/** Runs `work` in one transaction; repositories inside it see and commit together. */
export function inTransaction<Result>(
  database: Database,
  work: (repositories: Repositories) => Promise<Result>,
): Promise<Result> {
  return database.transaction((transaction) =>
    work(createRepositories(transaction as unknown as Database, { groupCommit: false })),
  );
}
