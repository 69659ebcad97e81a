import type { ExecutionView } from '../executions/execution-view.ts';

/** The answer's text: the output itself, or its JSON when the agent answers structured output. */
export function completionContent(execution: ExecutionView): string {
  return typeof execution.output === 'string' ? execution.output : JSON.stringify(execution.output ?? null);
}

/** Token usage in OpenAI's names. */
export function completionUsage(execution: ExecutionView) {
  return {
    prompt_tokens: execution.usage.inputTokens,
    completion_tokens: execution.usage.outputTokens,
    total_tokens: execution.usage.totalTokens,
  };
}

/**
 * The fields every completion and chunk of one execution share. The id carries the execution id
 * (`chatcmpl-<executionId>`) so a client can find the run in the history; `system_fingerprint` is
 * the agent version that answered.
 */
export function completionHeader(execution: ExecutionView, model: string) {
  return {
    id: `chatcmpl-${execution.id}`,
    created: Math.floor(execution.createdAt.getTime() / 1000),
    model,
    system_fingerprint: execution.agentVersionId,
  };
}

/** A finished execution as a `chat.completion`. */
export function toChatCompletion(execution: ExecutionView, model: string) {
  return {
    ...completionHeader(execution, model),
    object: 'chat.completion' as const,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: completionContent(execution), refusal: null },
        logprobs: null,
        finish_reason: 'stop' as const,
      },
    ],
    usage: completionUsage(execution),
  };
}
