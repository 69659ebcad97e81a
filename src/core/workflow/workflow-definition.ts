/**
 * A workflow definition as stored (one version of it): steps that run agents or call URLs, wired
 * together by templates and `needs`. Pure data; `checkWorkflowDefinition` decides whether it can be saved.
 */

/** When runs stop for a human: never, after every agent step, only at the end, or when the risk rule matches. */
export type ApprovalStrategy = 'none' | 'checkpoint_required' | 'final_only' | 'auto_approve_low_risk';

/** Retry of a failed step: exponential backoff from `baseDelayMs`, capped at `maxDelayMs`. */
export interface WorkflowRetry {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** A step that runs an agent with an input built from templates. */
export interface AgentStepDefinition {
  id: string;
  kind: 'agent';
  /** Agent slug or id. */
  agent: string;
  /** Values are JSON; every string inside (nested too) may hold templates. */
  input: Record<string, unknown>;
  needs?: string[];
  approval?: 'required' | 'never';
  /** How long an approval of this step may wait, and what happens then (default reject). */
  approvalTimeoutMinutes?: number;
  onApprovalTimeout?: 'approve' | 'reject';
  retry?: Partial<WorkflowRetry>;
  timeoutMs?: number;
}

/** A step that calls a URL (through the SSRF guard), e.g. a notifier. */
export interface HttpStepDefinition {
  id: string;
  kind: 'http';
  /** May hold templates. */
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Values may hold templates, and only here `{{ secrets.NAME }}`. */
  headers?: Record<string, string>;
  /** Strings inside may hold templates. */
  body?: unknown;
  needs?: string[];
  approval?: 'required' | 'never';
  /** How long an approval of this step may wait, and what happens then (default reject). */
  approvalTimeoutMinutes?: number;
  onApprovalTimeout?: 'approve' | 'reject';
  retry?: Partial<WorkflowRetry>;
  timeoutMs?: number;
}

/** One step of a workflow. */
export type WorkflowStepDefinition = AgentStepDefinition | HttpStepDefinition;

/** A whole workflow definition. */
export interface WorkflowDefinition {
  slug: string;
  name: string;
  description: string;
  /** JSON Schema of the run input, optional. */
  inputSchema: Record<string, unknown> | null;
  approvalStrategy: ApprovalStrategy;
  riskRule: { path: string; below?: number; above?: number; equals?: unknown } | null;
  costCapUsd: number | null;
  triggers: { webhook: boolean; schedule: string | null; timezone: string | null };
  steps: WorkflowStepDefinition[];
}

/** One problem found on save: JSON pointer into the definition, stable code, message saying what to fix. */
export interface WorkflowProblem {
  pointer: string;
  code: string;
  message: string;
}

/** Every code `checkWorkflowDefinition` reports. */
export type WorkflowProblemCode =
  | 'steps_empty'
  | 'step_id_invalid'
  | 'step_id_duplicate'
  | 'step_unknown'
  | 'step_self_reference'
  | 'workflow_cycle'
  | 'agent_unknown'
  | 'template_invalid'
  | 'template_too_deep'
  | 'template_path_unknown'
  | 'run_input_path_unknown'
  | 'secret_not_allowed'
  | 'template_type_mismatch'
  | 'input_field_unknown'
  | 'input_field_missing'
  | 'http_url_invalid'
  | 'http_url_refused';

/** What a step id looks like: short, starts with a letter, safe in URLs and templates. */
export const workflowStepIdPattern = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Template roots and keywords a step id may not take, or the short form `{{ id.output }}` would be ambiguous. */
export const reservedStepIds: ReadonlySet<string> = new Set(['run', 'steps', 'secrets', 'input', 'output']);

/** A problem with a code from the known list. */
export function workflowProblem(
  pointer: string,
  code: WorkflowProblemCode,
  message: string,
): WorkflowProblem {
  return { pointer, code, message };
}
