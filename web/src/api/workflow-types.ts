/** Workflow and run shapes of the public HTTP API (see docs/workflows.md). Dates arrive as ISO strings. */
import type { JsonSchema } from './api-types.ts';

export type ApprovalStrategy = 'none' | 'checkpoint_required' | 'final_only' | 'auto_approve_low_risk';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface StepRetry {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

interface CommonStepFields {
  id: string;
  needs?: string[];
  approval?: 'required' | 'never';
  retry?: StepRetry;
  timeoutMs?: number;
}

/** Runs an agent (by slug or id) with an input built from templates. */
export interface AgentStep extends CommonStepFields {
  kind?: 'agent';
  agent: string;
  input: Record<string, unknown>;
}

/** Sends its rendered body to a URL (through the server's SSRF guard). */
export interface HttpStep extends CommonStepFields {
  kind: 'http';
  url: string;
  method?: HttpMethod;
  headers?: Record<string, string>;
  body?: unknown;
}

export type WorkflowStep = AgentStep | HttpStep;

export interface WorkflowTriggers {
  webhook?: boolean;
  schedule?: string | null;
  timezone?: string | null;
}

/** What the builder edits and sends: the body of `POST …/workflows` and `PATCH …/workflows/{id}`. */
export interface WorkflowDefinition {
  name: string;
  slug?: string;
  description?: string;
  inputSchema?: JsonSchema | null;
  approvalStrategy?: ApprovalStrategy;
  riskRule?: { path: string; below?: number; above?: number; equals?: unknown } | null;
  costCapUsd?: number | null;
  triggers?: WorkflowTriggers;
  steps: WorkflowStep[];
}

export interface Workflow {
  id: string;
  slug: string;
  name: string;
  description: string;
  inputSchema: JsonSchema | null;
  approvalStrategy: ApprovalStrategy;
  riskRule: WorkflowDefinition['riskRule'];
  costCapUsd: number | null;
  triggers: { webhook: boolean; schedule: string | null; timezone: string | null };
  steps: WorkflowStep[];
  version: number;
  versionId: string;
  webhookSecretSet: boolean;
  nextScheduledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WorkflowVersion {
  id: string;
  workflowId: string;
  number: number;
  createdBy: string | null;
  createdAt: string;
  definition: Omit<
    Workflow,
    'id' | 'version' | 'versionId' | 'webhookSecretSet' | 'nextScheduledAt' | 'createdAt' | 'updatedAt'
  >;
}

/** One save-time problem: a JSON pointer into the definition, a stable code, what to fix. */
export interface WorkflowProblem {
  pointer: string;
  code: string;
  message: string;
}

export interface WorkflowValidation {
  valid: boolean;
  problems: WorkflowProblem[];
}

/** The webhook URL holds the secret: this answer is the only time it is shown. */
export interface WebhookSecret {
  workflowId: string;
  secret: string;
  url: string;
  webhookEnabled: boolean;
}

export const runStatuses = [
  'queued',
  'running',
  'waiting_approval',
  'completed',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof runStatuses)[number];
export type StepStatus =
  | 'pending'
  | 'ready'
  | 'running'
  | 'waiting_approval'
  | 'completed'
  | 'failed'
  | 'skipped'
  | 'cancelled';
/** `replay`: every agent step answered from a recorded run (`replayOf`). */
export type RunMode = 'live' | 'mock' | 'replay';

export interface RunError {
  code: string;
  message: string;
}

export interface StepRun {
  stepId: string;
  kind: 'agent' | 'http';
  status: StepStatus;
  /** As rendered for the latest attempt (secret header values masked). */
  input: unknown;
  output: unknown;
  executionId: string | null;
  executionIds: string[];
  attempts: number;
  costUsd: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: RunError | null;
}

export interface Run {
  id: string;
  workflowId: string;
  workflowVersionId: string;
  workflowVersion: number;
  status: RunStatus;
  mode: RunMode;
  trigger: 'manual' | 'webhook' | 'schedule';
  input: unknown;
  output: unknown;
  error: RunError | null;
  costUsd: number;
  /** Past this the run waits for approval before spending more; null for none. */
  costCapUsd: number | null;
  /** The context documents pinned at start, by name and version. */
  context: Array<{ documentId: string; name: string; version: number }>;
  steps: StepRun[];
  /** The run's provider exchanges were recorded, so it can be replayed. */
  record?: boolean;
  replayOf?: string | null;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunFilters {
  workflowId?: string;
  status?: RunStatus;
  mode?: RunMode;
  cursor?: string;
  limit?: number;
}

/** A stored run event as `GET …/runs/{id}/events` streams it; `sequence` is the SSE `id:`. */
export interface RunEvent {
  sequence: number;
  type: 'run-start' | 'step-start' | 'step-end' | 'run-end' | 'run-retry' | (string & {});
  stepId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}
