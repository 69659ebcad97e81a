import { type Clock, systemClock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { Keyring } from '../security/keyring.ts';
import { createPasswordHasher, type PasswordHasher } from '../security/password-hashing.ts';
import {
  type AllowedHosts,
  checkProviderUrl,
  type HostLookup,
  parseAllowedHosts,
} from '../security/ssrf-guard.ts';
import { createGuardedFetch } from '../security/ssrf-guarded-fetch.ts';
import { type ChangeNotifications, defaultChangeNotifications } from '../store/change-notifications.ts';
import type { Store } from '../store/database.ts';
import { createRepositories } from '../store/repositories/index.ts';
import { createTelemetryReadings } from '../store/telemetry-readings.ts';
import { createSilentLogger, type Logger } from '../telemetry/logger.ts';
import { createTelemetry, type Telemetry } from '../telemetry/telemetry.ts';
import { createAgentService } from './agents/agent-service.ts';
import { createPublishedAgentCache, withCachedPublishedAgents } from './agents/published-agent-cache.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { disabledEmailSender, type EmailSender } from './email/email-sender.ts';
import { createExecutionQueries, type ExecutionQueries } from './executions/execution-queries.ts';
import { createExecutionService, type ExecutionService } from './executions/execution-service.ts';
import { createAgentLimitService } from './guardrails/agent-limit-service.ts';
import { createAlertService } from './guardrails/alert-service.ts';
import type { BudgetLeaseSettings } from './guardrails/budget-leases.ts';
import { createBudgetService } from './guardrails/budget-service.ts';
import { createNotificationService } from './guardrails/notification-service.ts';
import { createRateLimiter } from './guardrails/rate-limiter.ts';
import { createWebhookDispatcher, type WebhookDispatcherSettings } from './guardrails/webhook-dispatcher.ts';
import { createAccountLinkService } from './identity/account-link-service.ts';
import { createApiTokenService } from './identity/api-token-service.ts';
import {
  createAuthenticationService,
  type LoginThrottlePolicy,
  type SessionPolicy,
} from './identity/authentication-service.ts';
import { createCredentialChanges } from './identity/credential-changes.ts';
import { createInvitationService } from './identity/invitation-service.ts';
import { createMemberService } from './identity/member-service.ts';
import { createSetupService } from './identity/setup-service.ts';
import { createWorkspaceService } from './identity/workspace-service.ts';
import {
  createOpenAiCompatibleService,
  type OpenAiCompatibleService,
} from './openai/openai-compatible-service.ts';
import { createWorkspaceOverviewService } from './overview/workspace-overview-service.ts';
import { createProviderKeyService } from './provider-keys/provider-key-service.ts';
import { createWorkspaceSecretService } from './secrets/workspace-secret-service.ts';
import { createAgentToolResolver } from './tools/agent-tool.ts';
import { createHttpToolCheck, createHttpToolResolver } from './tools/http-tool.ts';
import { createMcpServerService } from './tools/mcp/mcp-server-service.ts';
import { createMcpToolKind } from './tools/mcp/mcp-tool-resolver.ts';
import type { ToolResolvers } from './tools/tool.ts';
import { createToolTestService, type ToolTestService } from './tools/tool-test-service.ts';
import { type ApprovalService, createApprovalService } from './workflows/approval-service.ts';
import { createContextDocumentService } from './workflows/context-document-service.ts';
import { createRunService, type RunService } from './workflows/run-service.ts';
import { createRunSignals } from './workflows/run-signals.ts';
import { createWorkflowEngine, type WorkflowEngine } from './workflows/workflow-engine.ts';
import { createWorkflowService } from './workflows/workflow-service.ts';

export interface ServiceOptions {
  store: Store;
  publicUrl: string;
  clock?: Clock;
  passwordHasher?: PasswordHasher;
  sessionPolicy?: SessionPolicy;
  loginThrottlePolicy?: LoginThrottlePolicy;
  /** Encrypts provider keys; built at start from FLIGHTDECK_MASTER_KEY or the data folder's key. */
  keyring: Keyring;
  /** FLIGHTDECK_ALLOWED_PROVIDER_HOSTS, parsed: private or loopback hosts provider URLs may reach. */
  allowedProviderHosts?: AllowedHosts;
  /** DNS resolution and fetch for provider calls; injected in tests. */
  providerLookup?: HostLookup;
  providerFetch?: typeof globalThis.fetch;
  /** REDIS_URL: shared rate limits across nodes; in memory when absent. */
  redisUrl?: string | undefined;
  /**
   * One of several serving processes on one port (FLIGHTDECK_PROCESSES): without Redis the
   * processes count rate limits in the serving primary's memory, so a limit stays one limit.
   */
  rateLimitsInPrimary?: boolean;
  logger?: Logger;
  /** Metrics (and their hooks) of this process; one of its own when absent. */
  telemetry?: Telemetry;
  webhookSettings?: Partial<WebhookDispatcherSettings>;
  /**
   * How revocations reach every node (see store/change-notifications.ts); closed by `close()`.
   * Absent: in process on PGlite; on PostgreSQL publish-only, so this node caches no credentials.
   */
  changeNotifications?: ChangeNotifications;
  /**
   * Invitations, password resets, address verification and alerts (an SMTP sender when
   * FLIGHTDECK_SMTP_URL is set); without it links are handed to the admin who invites.
   */
  email?: EmailSender;
  /** Budget leases (docs/decisions/2026-12-02-budget-leases.md): settings, or `false` for a statement per hold. */
  budgetLeases?: Partial<BudgetLeaseSettings> | false;
  /** Group commit of execution records and budget settlements (default on; the bench turns it off). */
  groupCommit?: boolean;
}

/** Wires every use case over one store; the composition root for the server and the CLI. */
export function createServices(options: ServiceOptions) {
  const database = options.store.database;
  const repositories = createRepositories(database, {
    groupCommit: options.groupCommit,
    // PGlite keeps no plan per statement name (it plans every statement), so no batch statement
    // needs to wait for its table to grow: an execution's end is one statement from the first.
    namedStatementsAfterRows: options.store.kind === 'pglite' ? 0 : undefined,
  });
  const clock = options.clock ?? systemClock;
  const passwordHasher = options.passwordHasher ?? createPasswordHasher();
  const allowedProviderHosts = options.allowedProviderHosts ?? parseAllowedHosts('');
  const audit = createAuditLog({ repositories, clock });
  const logger = options.logger ?? createSilentLogger();
  const telemetry =
    options.telemetry ?? createTelemetry({ readings: createTelemetryReadings(database), logger });
  telemetry.observeRepositories(repositories);
  const rateLimiter = createRateLimiter({
    redisUrl: options.redisUrl,
    inPrimary: options.rateLimitsInPrimary,
    logger,
  });
  const webhooks = createWebhookDispatcher({
    database,
    repositories,
    audit,
    keyring: options.keyring,
    clock,
    // Webhook URLs are user input like provider base URLs: the same SSRF guard and allow-list.
    fetch: createGuardedFetch({
      fetch: options.providerFetch,
      allowedHosts: allowedProviderHosts,
      lookup: options.providerLookup,
    }),
    logger,
    settings: options.webhookSettings,
  });
  const email = options.email ?? disabledEmailSender;
  const alerts = createAlertService({
    repositories,
    clock,
    webhooks,
    email,
    publicUrl: options.publicUrl,
    logger,
  });
  const budgets = createBudgetService({ repositories, clock, alerts, leases: options.budgetLeases });
  const changeNotifications = options.changeNotifications ?? defaultChangeNotifications(options.store);
  const credentialChanges = createCredentialChanges({ database, notifications: changeNotifications });
  // Every execution reads its agent's published version first: a node keeps a copy, dropped on change.
  const executionRepositories = withCachedPublishedAgents(
    repositories,
    createPublishedAgentCache({ notifications: changeNotifications }),
  );
  let executions: ExecutionService | undefined;
  let executionQueries: ExecutionQueries | undefined;
  let runs: RunService | undefined;
  let approvals: ApprovalService | undefined;
  let workflowEngine: WorkflowEngine | undefined;
  let openaiCompatible: OpenAiCompatibleService | undefined;
  let toolResolvers: ToolResolvers | undefined;
  let toolTests: ToolTestService | undefined;
  /** Identifies this process in executions it records and workflow steps it claims. */
  const nodeId = newId();
  const runSignals = createRunSignals();
  const contextDocuments = createContextDocumentService({ database, repositories, clock });
  // http workflow steps reach user URLs: the same SSRF guard and allow-list as provider calls.
  const stepFetch = createGuardedFetch({
    fetch: options.providerFetch,
    allowedHosts: allowedProviderHosts,
    lookup: options.providerLookup,
  });
  // MCP servers as agent tools: their URLs go through the same SSRF guard and allow-list.
  const mcpServers = createMcpServerService({
    database,
    repositories,
    keyring: options.keyring,
    clock,
    audit,
    allowedHosts: allowedProviderHosts,
    lookup: options.providerLookup,
    fetch: stepFetch,
  });
  /** The `mcp` tool kind: its resolver and its check on agent save (tools/tool.ts). */
  const mcpToolKind = createMcpToolKind({ mcpServers });
  return {
    nodeId,
    telemetry,
    runSignals,
    rateLimiter,
    webhooks,
    alerts,
    budgets,
    agentLimits: createAgentLimitService({ repositories, budgets, audit }),
    notifications: createNotificationService({ repositories, clock }),
    overview: createWorkspaceOverviewService({ repositories, budgets, clock }),
    /** Releases connections held outside the store (Redis, the change listener). */
    close: async () => {
      await alerts.emailsSettled();
      await Promise.all([rateLimiter.close(), changeNotifications.close(), email.close(), budgets.close()]);
    },
    allowedProviderHosts,
    audit,
    clock,
    passwordHasher,
    repositories,
    setup: createSetupService({ database, passwordHasher }),
    authentication: createAuthenticationService({
      database,
      repositories,
      passwordHasher,
      clock,
      sessionPolicy: options.sessionPolicy,
      loginThrottlePolicy: options.loginThrottlePolicy,
      audit,
      notifications: changeNotifications,
      credentialChanges,
    }),
    workspaces: createWorkspaceService({
      database,
      repositories,
      credentialChanges,
      audit,
      onSettingsChanged: (workspaceId) => budgets.limitsChanged(workspaceId),
      checkWebhookUrl: (url) =>
        checkProviderUrl(url, {
          allowedHosts: allowedProviderHosts,
          lookup: options.providerLookup,
          subject: 'The alert webhook URL',
          code: 'webhook_url_refused',
        }),
    }),
    members: createMemberService({
      database,
      repositories,
      clock,
      publicUrl: options.publicUrl,
      credentialChanges,
      email,
    }),
    invitations: createInvitationService({ database, repositories, credentialChanges, email }),
    accountLinks: createAccountLinkService({
      database,
      repositories,
      clock,
      publicUrl: options.publicUrl,
      email,
    }),
    apiTokens: createApiTokenService({ database, repositories, clock, credentialChanges }),
    providerKeys: createProviderKeyService({
      database,
      repositories,
      keyring: options.keyring,
      clock,
      audit,
      allowedHosts: allowedProviderHosts,
      lookup: options.providerLookup,
      fetch: options.providerFetch,
    }),
    agents: createAgentService({
      database,
      repositories,
      clock,
      notifications: changeNotifications,
      toolChecks: {
        mcp: mcpToolKind.check,
        http: createHttpToolCheck({ allowedHosts: allowedProviderHosts }),
      },
    }),
    secrets: createWorkspaceSecretService({ database, repositories, keyring: options.keyring, clock, audit }),
    mcpServers,
    mcpToolKind,
    /** Tool kinds an agent may use (http, agent, mcp), shared by the loop and "Test tool". */
    get toolResolvers(): ToolResolvers {
      toolResolvers ??= {
        http: createHttpToolResolver({
          fetch: stepFetch,
          resolveSecrets: (workspaceId, names) => this.secrets.resolve(workspaceId, names),
        }),
        agent: createAgentToolResolver({ executions: () => this.executions }),
        mcp: mcpToolKind.resolve,
      };
      return toolResolvers;
    },
    get toolTests(): ToolTestService {
      toolTests ??= createToolTestService({ repositories, resolvers: () => this.toolResolvers });
      return toolTests;
    },
    /** Built on first use because it resolves keys through `providerKeys` above. */
    get executions(): ExecutionService {
      executions ??= telemetry.observeExecutions(
        createExecutionService({
          nodeId,
          modelCaller: telemetry.modelCaller,
          repositories: executionRepositories,
          clock,
          credentials: this.providerKeys,
          allowedProviderHosts,
          providerLookup: options.providerLookup,
          providerFetch: options.providerFetch,
          budget: budgets,
          priceOverridesOf: async (workspaceId) =>
            (await this.workspaces.settingsOf(workspaceId)).priceOverrides,
          toolResolvers: this.toolResolvers,
          recordsExecutionsOf: async (workspaceId) =>
            (await this.workspaces.settingsOf(workspaceId)).recordExecutions,
          storesContentOf: async (workspaceId) =>
            (await this.workspaces.settingsOf(workspaceId)).storeExecutionContent,
        }),
      );
      return executions;
    },
    /** Reads of execution history beyond one record (the stats range); built on first use, like executions. */
    get executionQueries(): ExecutionQueries {
      executionQueries ??= createExecutionQueries({ executions: () => this.executions, clock });
      return executionQueries;
    },
    /** Agents as OpenAI models; built on first use, like the executions it runs. */
    get openaiCompatible(): OpenAiCompatibleService {
      openaiCompatible ??= createOpenAiCompatibleService({
        repositories: executionRepositories,
        executions: () => this.executions,
      });
      return openaiCompatible;
    },
    workflows: createWorkflowService({
      database,
      repositories,
      clock,
      publicUrl: options.publicUrl,
      checkStepUrl: (url) =>
        checkProviderUrl(url, {
          allowedHosts: allowedProviderHosts,
          lookup: options.providerLookup,
          subject: "The http step's URL",
          code: 'http_url_refused',
        }),
    }),
    /** Built on first use because it checks keys through `providerKeys` above. */
    get runs(): RunService {
      runs ??= createRunService({
        database,
        repositories,
        clock,
        credentials: this.providerKeys,
        signals: runSignals,
        pinContext: (workspaceId, requested) => contextDocuments.pin(workspaceId, requested),
        recordsExecutionsOf: async (workspaceId) =>
          (await this.workspaces.settingsOf(workspaceId)).recordExecutions,
        storesContentOf: async (workspaceId) =>
          (await this.workspaces.settingsOf(workspaceId)).storeExecutionContent,
      });
      return runs;
    },
    contextDocuments,
    get approvals(): ApprovalService {
      approvals ??= createApprovalService({
        repositories,
        clock,
        runs: this.runs,
        notify: (workspaceId, notice) => alerts.notify(workspaceId, notice),
      });
      return approvals;
    },
    get workflowEngine(): WorkflowEngine {
      workflowEngine ??= createWorkflowEngine({
        repositories,
        clock,
        executions: () => this.executions,
        resolveSecrets: (workspaceId, names) => this.secrets.resolve(workspaceId, names),
        httpFetch: stepFetch,
        signals: runSignals,
        notifyApproval: (workspaceId, notice) => alerts.notify(workspaceId, notice),
        logger,
        workerId: nodeId,
      });
      return telemetry.traceEngine(workflowEngine);
    },
  };
}

export type Services = ReturnType<typeof createServices>;
