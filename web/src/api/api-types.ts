/** The shapes of the public HTTP API the console relies on (see /api/openapi.json). Dates arrive as ISO strings. */

import type { ExecutionToolCall, ToolEntry, ToolStreamEvent } from './tool-types.ts';

export interface List<Item> {
  items: Item[];
  nextCursor: string | null;
}

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface WorkspaceSummary {
  id: string;
  name: string;
  role: string;
  permissions: string[];
}

export interface Me {
  kind: 'user' | 'token';
  user: User | null;
  csrfToken: string | null;
  workspaces: WorkspaceSummary[];
}

export interface SignedIn {
  user: User;
  csrfToken: string;
  workspace?: { id: string; name: string };
}

/** The workspace's own price for a model (USD per million tokens); without a provider it applies to all. */
export interface PriceOverride {
  model: string;
  provider?: KeyProvider;
  inputPerMillionUsd: number;
  outputPerMillionUsd: number;
  cachedInputPerMillionUsd?: number;
}

export interface WorkspaceSettings {
  rateLimitPerMinute: number;
  monthlyBudgetUsd: number | null;
  alertThresholds: number[];
  alertWebhookUrl: string | null;
  priceOverrides: PriceOverride[];
}

export interface Workspace {
  id: string;
  name: string;
  role: string;
  settings: WorkspaceSettings;
  createdAt: string;
  updatedAt: string;
}

export const roles = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof roles)[number];

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: string;
  /** `pending`: an existing, unverified account that has not accepted yet (it has no access). */
  status: 'active' | 'invited' | 'pending';
  emailVerified: boolean;
  createdAt: string;
}

export interface MemberAdded {
  member: Member;
  /** A new account's link: emailed (`setPasswordUrl` null) or handed over to pass on. */
  invitation: {
    delivery: 'email' | 'link';
    setPasswordUrl: string | null;
    expiresAt: string;
    emailProblem: string | null;
  } | null;
  existingAccount: boolean;
}

export interface ApiToken {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdBy: User | null;
  createdAt: string;
  lastUsedAt: string | null;
  /** Requests per minute for this token alone; null: the workspace's limit applies. */
  rateLimitPerMinute: number | null;
}

export interface CreatedApiToken extends ApiToken {
  token: string;
}

export const keyProviders = ['openai', 'anthropic', 'openai-compatible'] as const;
export type KeyProvider = (typeof keyProviders)[number];
export type AgentProvider = KeyProvider | 'mock';

export interface ProviderKey {
  id: string;
  provider: KeyProvider;
  label: string;
  lastFour: string;
  baseUrl: string | null;
  isDefault: boolean;
  createdAt: string;
  updatedAt: string;
  rotatedAt: string | null;
  lastUsedAt: string | null;
  lastTest: { at: string; ok: boolean; errorCode: string | null; latencyMs: number | null } | null;
}

export interface ProviderKeyTest {
  ok: boolean;
  latencyMs: number;
  statusCode: number | null;
  errorCode: string | null;
  message: string | null;
}

export interface AuditEvent {
  id: string;
  action: string;
  actor: { userId: string | null; tokenId: string | null; email: string | null };
  target: { type: string; id: string | null };
  metadata: Record<string, unknown>;
  address: string | null;
  userAgent: string | null;
  createdAt: string;
}

export type JsonSchema = Record<string, unknown>;

export interface AgentRetry {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface AgentFallback {
  provider: AgentProvider;
  model: string;
  providerKeyId: string | null;
}

export interface AgentDefinition {
  slug: string;
  name: string;
  description: string;
  tags: string[];
  provider: AgentProvider;
  model: string;
  providerKeyId: string | null;
  systemPrompt: string;
  promptTemplate: string;
  temperature: number | null;
  maxTokens: number | null;
  inputSchema: JsonSchema | null;
  outputSchema: JsonSchema | null;
  retry: AgentRetry;
  fallbacks: AgentFallback[];
  timeoutMs: number;
  /** `required`: every step running this agent waits for approval (a patcher, say). */
  approval?: 'required' | 'optional';
  /** The type its outputs are stored as (`research_finding`, `content_draft`, `report`, …); null: generic. */
  artifactType?: string | null;
  /** Tools the model may call; empty: one prompt, one answer. */
  tools?: ToolEntry[];
  /** Tool calls one run may make before it stops with 422 `tool_limit_reached`. */
  maxToolCalls?: number;
}

export interface Agent extends AgentDefinition {
  id: string;
  /** The newest version, shown in the builder and run by the test panel (a draft until published). */
  version: number;
  versionId: string;
  /** What API, workflow and OpenAI-compatible callers run by default; null before a first publish. */
  publishedVersion: number | null;
  publishedVersionId: string | null;
  /** Other labels callers can target: label → version number. */
  labels: Record<string, number>;
  createdAt: string;
  updatedAt: string;
}

export interface AgentVersion {
  id: string;
  agentId: string;
  number: number;
  changedFields: string[];
  createdBy: string | null;
  createdAt: string;
  definition: AgentDefinition;
}

/** `waiting_approval`: the tool loop stopped for a person's decision on a proposed tool call. */
export type ExecutionStatus = 'running' | 'completed' | 'failed' | 'waiting_approval';
/** `replay`: answered from a recorded execution (no provider call, no cost). */
export type ExecutionMode = 'live' | 'mock' | 'replay';

export interface Attempt {
  provider: string;
  model: string;
  status: 'succeeded' | 'failed';
  statusCode: number | null;
  errorCode: string | null;
  latencyMs: number;
  purpose: 'answer' | 'repair';
}

export interface Execution {
  id: string;
  agentId: string;
  agentVersionId: string;
  agentVersion: number;
  status: ExecutionStatus;
  mode: ExecutionMode;
  trigger: 'test' | 'api' | 'workflow' | 'openai-compat';
  input: unknown;
  output: unknown;
  rawOutput: string | null;
  /** The first model call as rendered and sent (no headers or keys); null when not kept. */
  request: Record<string, unknown> | null;
  /** `details` where the failure has facts to show, e.g. a replay's differing request fields. */
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  costUsd: number | null;
  costPriced: boolean;
  latencyMs: number | null;
  timeToFirstTokenMs: number | null;
  retries: number;
  attempts: Attempt[];
  /** Every tool call of the loop, in order (empty for an agent without tools). */
  toolCalls?: ExecutionToolCall[];
  fallbackUsed: boolean;
  repaired: boolean;
  provider: string | null;
  model: string | null;
  /** Mode `replay`: the recorded execution it answered from. */
  replayOf?: string | null;
  /** `costUsd` plus what its agent tools' child executions cost; null when not priced. */
  totalCostUsd: number | null;
  /** Set on the child execution an agent tool of another execution made. */
  parentExecutionId: string | null;
  /** The workflow run and step that made it (trigger `workflow`). */
  workflowRunId: string | null;
  workflowStepId: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface ExecutionFilters {
  agentId?: string;
  status?: ExecutionStatus;
  mode?: ExecutionMode;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

export interface ExecutionMetrics {
  count: number;
  completed: number;
  failed: number;
  running: number;
  successRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** What the priced executions cost; the unpriced ones are not in it. */
  costUsd: number;
  /** Executions of a model without a price: their cost is unknown, never $0. */
  unpricedCount: number;
}

export interface ExecutionStats {
  from: string;
  to: string;
  interval: 'hour' | 'day';
  totals: ExecutionMetrics;
  series: Array<ExecutionMetrics & { bucket: string }>;
  byAgent: Array<ExecutionMetrics & { agentId: string; agentSlug: string | null; agentName: string | null }>;
}

export interface MetricDelta {
  a: number | null;
  b: number | null;
  delta: number | null;
}

export interface ExecutionComparison {
  a: Execution;
  b: Execution;
  versionDiff: {
    sameAgent: boolean;
    sameVersion: boolean;
    changes: Array<{ field: string; group: string; a: unknown; b: unknown }>;
  };
  metrics: Record<
    | 'latencyMs'
    | 'timeToFirstTokenMs'
    | 'costUsd'
    | 'inputTokens'
    | 'outputTokens'
    | 'totalTokens'
    | 'retries',
    MetricDelta
  >;
  sameOutput: boolean;
}

export interface UsageLine {
  spentUsd: number;
  reservedUsd: number;
  calls: number;
  /** Calls of a model without a price: `spentUsd` counts them at 0, which is not their cost. */
  unpricedCalls: number;
}

/** This month's spend against the workspace's limit (UTC calendar months). */
export interface Usage {
  periodStart: string;
  resetsAt: string;
  limitUsd: number | null;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number | null;
  unpricedCalls: number;
  byAgent: Array<UsageLine & { agentId: string | null }>;
  /** `providerKeyLabel`: a deleted key's label as the audit log kept it (null when not known). */
  byProviderKey: Array<
    UsageLine & { providerKeyId: string | null; providerKeyLabel: string | null; providerKeyDeleted: boolean }
  >;
}

export interface AppNotification {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  createdAt: string;
  readAt: string | null;
}

export interface WebhookDelivery {
  id: string;
  url: string;
  event: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string;
  createdAt: string;
  deliveredAt: string | null;
}

export interface RotatedSigningSecret {
  signingSecret: string;
  header: string;
}

/** What a streamed run reports as it goes. */
export type ExecutionStreamEvent =
  | { type: 'execution-start'; execution: Execution }
  | { type: 'text-delta'; text: string }
  | ToolStreamEvent
  | { type: 'execution-end'; execution: Execution };

/** A model of the server's price catalog (`GET /api/models`). */
export interface CatalogModel {
  id: string;
  name: string;
  contextWindow: number | null;
  inputPerMillionUsd: number | null;
  outputPerMillionUsd: number | null;
  cachedInputPerMillionUsd: number | null;
  deprecated: boolean;
}
