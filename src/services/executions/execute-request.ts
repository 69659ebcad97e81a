import type { ChatMessage, JsonSchema } from '../../llm/index.ts';
import type { ReplayOf } from './execution-recording.ts';
import type { ToolLoopResume } from './execution-tools.ts';
import type { ExecutionMode, ExecutionTrigger } from './execution-view.ts';

export interface ExecuteRequest {
  input: unknown;
  mode: ExecutionMode;
  /** Which version runs: at most one of these; without any, the published version. */
  versionId?: string | null;
  version?: number | null;
  versionLabel?: string | null;
  /** Earlier turns of a conversation, sent before the rendered prompt (OpenAI-compatible callers). */
  history?: ChatMessage[];
  /** Text added after the rendered prompt, e.g. a reviewer's feedback on a previous answer. */
  promptAddition?: string;
  /** Context documents by name, for `{{ context.<name> }}` in the prompt template (workflow runs). */
  context?: Readonly<Record<string, string>>;
  /** Per-call overrides within what the agent allows (the caller checks the bounds). */
  temperature?: number;
  maxTokens?: number;
  /**
   * Asks the provider for JSON when the agent has no output schema (OpenAI's `response_format`):
   * with a schema as structured output, without one as JSON mode. The answer is kept as text and
   * not validated; an agent's own output schema always wins.
   */
  responseFormat?: { type: 'json'; schema?: JsonSchema; name?: string };
  /** Live runs: store every provider exchange for replay (the workspace's `recordExecutions` does it for all). */
  record?: boolean;
  /** Mode `replay`: the recording that answers the provider calls (execution-recording.ts). */
  replayOf?: ReplayOf;
  /** Continue the tool loop of an execution that stopped for an approval, with the decision. */
  resume?: ToolLoopResume;
}

export interface ExecuteOptions {
  trigger: ExecutionTrigger;
  idempotencyKey?: string;
  /** The workflow run and step this execution belongs to (trigger `workflow`). */
  workflowRunId?: string;
  workflowStepId?: string;
  /** The execution whose agent tool made this one. */
  parentExecutionId?: string;
  /** How deep in agent tools this execution is (0 when a caller started it). */
  toolDepth?: number;
}
