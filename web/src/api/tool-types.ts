import type { JsonSchema } from './api-types.ts';

/** When a person approves a tool call first: always, never, or by a rule over the arguments. */
export type ToolApproval =
  | 'required'
  | 'never'
  | { path: string; below?: number; above?: number; equals?: unknown };

interface ToolEntryBase {
  name: string;
  description?: string;
  approval?: ToolApproval;
  timeoutMs?: number;
}

/** Calls a URL; `url` and the body are templates over the arguments, headers may use `{{ secrets.NAME }}`. */
export interface HttpToolEntry extends ToolEntryBase {
  kind: 'http';
  description: string;
  parameters: JsonSchema;
  resultSchema?: JsonSchema | null;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Runs another agent of the workspace with the arguments as its input. */
export interface AgentToolEntry extends ToolEntryBase {
  kind: 'agent';
  description: string;
  parameters: JsonSchema;
  resultSchema?: JsonSchema | null;
  agent: string;
}

/** One tool of a registered MCP server; its parameters and result schema are the server's. */
export interface McpToolEntry extends ToolEntryBase {
  kind: 'mcp';
  server: string;
  tool: string;
}

export type ToolEntry = HttpToolEntry | AgentToolEntry | McpToolEntry;
export type ToolKind = ToolEntry['kind'];

/** A registered MCP server: header values arrive masked (`••••` and at most the last four). */
export interface McpServer {
  id: string;
  name: string;
  url: string;
  headers: Record<string, string>;
  toolCount: number | null;
  toolsListedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface McpTool {
  name: string;
  title: string | null;
  description: string | null;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema | null;
}

export interface McpToolList {
  items: McpTool[];
  nextCursor: null;
  listedAt: string;
  cached: boolean;
}

export interface McpToolTestResult {
  ok: boolean;
  result: unknown;
  error: string | null;
  latencyMs: number;
}

/** One tool call of an execution, as recorded and as streamed in `tool-result`. */
export interface ExecutionToolCall {
  id: string;
  tool: string;
  kind: string;
  arguments: unknown;
  result: unknown;
  error: { code: string; message: string } | null;
  status: 'succeeded' | 'failed' | 'rejected' | 'waiting_approval';
  latencyMs: number;
  turn: number;
  childExecutionId?: string;
  costUsd?: number;
  approvalId?: string;
}

/** The tool loop's events in a streamed run. */
export type ToolStreamEvent =
  | { type: 'tool-call'; id: string; tool: string; arguments: unknown; turn: number }
  | { type: 'tool-result'; call: ExecutionToolCall }
  | { type: 'tool-approval'; id: string; tool: string; arguments: unknown };

/** `POST …/agents/{id}/tools/{name}/test`: what the loop would have fed the model. */
export interface AgentToolTestResult {
  tool: string;
  kind: string;
  arguments: unknown;
  status: 'succeeded' | 'failed';
  result: unknown;
  error: { code: string; message: string } | null;
  latencyMs: number;
}
