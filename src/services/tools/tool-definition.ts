import type { JsonSchema } from '../../llm/index.ts';

/**
 * When a person approves a call: `required` always, `never` (the default) never, or a rule over the
 * arguments — `{ path, below?, above?, equals? }`, the workflow risk rule's shape
 * (core/workflow/approval-policy.ts), matched against the call's arguments.
 */
export type ToolApproval =
  | 'required'
  | 'never'
  | { path: string; below?: number; above?: number; equals?: unknown };

/** Fields every tool entry of an agent has. */
type ToolEntryBase = {
  name: string;
  description: string;
  /** JSON Schema (2020-12) of the arguments, shown to the model and checked before each call. */
  parameters: JsonSchema;
  /** What the tool answers; mock mode answers with a sample of it. */
  resultSchema?: JsonSchema | null;
  approval?: ToolApproval;
  /** Per call, default 30 s. */
  timeoutMs?: number;
};

/**
 * Calls a URL. `url` and string leaves of `body` are templates over the arguments
 * (`{{ input.city }}`; a string that is one placeholder keeps the value's type); values in the URL
 * are percent-encoded. Headers may name workspace secrets, `{{ secrets.NAME }}`, and nothing else.
 * Without `body`, POST, PUT and PATCH send the arguments as the JSON body.
 */
export type HttpToolEntry = ToolEntryBase & {
  kind: 'http';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
};

/** Runs another agent of the workspace (by id or slug) with the arguments as its input. */
export type AgentToolEntry = ToolEntryBase & {
  kind: 'agent';
  agent: string;
};

/**
 * A Model Context Protocol server's tool(s). Only `name` (unique among the agent's entries) is
 * checked here; the server reference and the rest are the mcp resolver's (tools/mcp/), which may
 * take description and parameters from the server's own listing.
 */
export type McpToolEntry = Partial<Omit<ToolEntryBase, 'name'>> & {
  kind: 'mcp';
  name: string;
  [field: string]: unknown;
};

/** One entry of an agent's `tools`. */
export type ToolDefinitionEntry = HttpToolEntry | AgentToolEntry | McpToolEntry;

export const toolKinds = ['http', 'agent', 'mcp'] as const;

/** Tool calls one execution may make unless the agent says otherwise. */
export const defaultMaxToolCalls = 10;
export const defaultToolTimeoutMs = 30_000;
/** Tool names the providers accept (OpenAI's function-name rule, which Anthropic shares). */
export const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;
