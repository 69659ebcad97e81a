import type { JsonSchema } from '../../llm/index.ts';
import type { ExecutionTrigger } from '../executions/execution-view.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import type { ToolApproval, ToolDefinitionEntry } from './tool-definition.ts';

/**
 * What a tool gets for one call. `timeoutMs` is already part of `abortSignal` (the loop aborts at
 * the tool's timeout and at the execution's deadline); it is passed too so a tool can hand it to
 * a client that wants a number.
 */
export interface ToolCallContext {
  workspaceId: string;
  /** The execution whose model asked for the call. */
  executionId: string;
  abortSignal: AbortSignal;
  timeoutMs: number;
  /** `mock`: answer without any network (a sample of the result schema); tools never see live keys then. */
  mode: 'live' | 'mock';
}

/** A tool's answer. `childExecutionId` and `costUsd` are set by tools that ran an execution. */
export interface ToolCallResult {
  value: unknown;
  childExecutionId?: string;
  /** What the call cost (an agent tool's child execution); added to the calling execution's total. */
  costUsd?: number;
}

/**
 * One callable tool, whatever its kind (http, agent, mcp): what the model is shown (`name`,
 * `description`, `parameters`) and how to call it. Arguments are validated against `parameters`
 * by the loop before `call`; a thrown error becomes an error result the model sees (a
 * FlightdeckError's code and message are kept, anything else is reported as `tool_failed`).
 */
export interface Tool {
  kind: string;
  name: string;
  description: string;
  parameters: JsonSchema;
  /** What the tool answers; the mock samples it. Absent: any JSON value. */
  resultSchema?: JsonSchema | null;
  /** Whether a person approves a call first; absent means never. */
  approval?: ToolApproval;
  /** Per call; the loop aborts the call after it. */
  timeoutMs: number;
  call(args: unknown, context: ToolCallContext): Promise<ToolCallResult>;
}

/** What resolving an agent's tools knows: whose they are and how the execution runs. */
export interface ToolResolveContext {
  workspaceId: string;
  mode: 'live' | 'mock';
  /** The agent whose tools these are (an agent tool may not call its own agent). */
  agentId: string;
  /** Who runs the execution; an agent tool's child execution runs as them. */
  access: WorkspaceAccess;
  /** How the calling execution was started; its children are started the same way. */
  trigger: ExecutionTrigger;
  /** 0 for an execution a caller started, 1 for an agent tool's child, and so on. */
  depth: number;
}

/**
 * Turns one entry of an agent's `tools` into the tools it stands for (an MCP entry may stand for
 * several of a server's tools). Unknown references throw a 400 naming the field.
 */
export type ToolResolver = (entry: ToolDefinitionEntry, context: ToolResolveContext) => Promise<Tool[]>;

/** Resolvers by tool kind; create-services.ts passes them in (the `mcp` one comes from tools/mcp/). */
export type ToolResolvers = Partial<Record<ToolDefinitionEntry['kind'], ToolResolver>>;

/**
 * Checks one entry at agent save time beyond its shape (an agent tool's agent exists, an mcp
 * entry's server exists); throws a 400 naming `field` (e.g. `tools[2].agent`).
 */
export type ToolEntryCheck = (
  entry: ToolDefinitionEntry,
  field: string,
  context: { workspaceId: string; agentId: string | null },
) => Promise<void>;

export type ToolEntryChecks = Partial<Record<ToolDefinitionEntry['kind'], ToolEntryCheck>>;
