import { FlightdeckError } from '../../core/errors.ts';
import type { ExchangeRecorder, ReplayCursor } from '../../llm/index.ts';
import type { Tool, ToolCallContext } from '../tools/tool.ts';

/** What a tool call is matched by: the tool and its arguments (never the context or its signal). */
const toolRequest = (tool: Tool, args: unknown) =>
  JSON.parse(JSON.stringify({ name: tool.name, arguments: args ?? null })) as Record<string, unknown>;

/**
 * The agent's tools with every call recorded (kind `tool`): the arguments and the answer, or the
 * failure as the loop will report it to the model, so a replay hands the model the same results.
 */
export function recordingTools(tools: readonly Tool[], recorder: ExchangeRecorder): Tool[] {
  return tools.map((tool) => ({
    ...tool,
    async call(args, context) {
      const startedAt = performance.now();
      const request = toolRequest(tool, args);
      let settled = false;
      const record = (response: Parameters<ExchangeRecorder['record']>[0]['response']) => {
        if (settled) return;
        settled = true;
        recorder.record({
          kind: 'tool',
          request,
          response,
          usage: null,
          latencyMs: performance.now() - startedAt,
        });
      };
      // The loop gives up at the signal without waiting for the tool: record the failure it reports.
      const onAbort = () => record({ ok: false, error: abortFailure(context) });
      context.abortSignal.addEventListener('abort', onAbort, { once: true });
      try {
        const answered = await tool.call(args, context);
        record({ ok: true, result: { value: answered.value ?? null } });
        return answered;
      } catch (error) {
        const ours = FlightdeckError.isInstance(error);
        record({
          ok: false,
          error: {
            code: ours ? error.code : null,
            statusCode: null,
            isRetryable: false,
            message: ours ? error.message : 'The tool failed unexpectedly.',
          },
        });
        throw error;
      } finally {
        context.abortSignal.removeEventListener('abort', onAbort);
      }
    },
  }));
}

/**
 * The agent's tools answered from the recording: no http request, no child execution, no MCP
 * call. A call the recording does not hold fails the execution with `replay_mismatch`.
 */
export function replayTools(tools: readonly Tool[], cursor: ReplayCursor): Tool[] {
  return tools.map((tool) => ({
    ...tool,
    async call(args) {
      const exchange = cursor.next('tool', toolRequest(tool, args));
      if (exchange.response.ok)
        return { value: (exchange.response.result as { value?: unknown }).value ?? null };
      const recorded = exchange.response.error;
      if (recorded.code === null) throw new Error('replayed tool failure');
      throw new FlightdeckError({ code: recorded.code, kind: 'unprocessable', message: recorded.message });
    },
  }));
}

function abortFailure(context: ToolCallContext) {
  const timedOut = (context.abortSignal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
  return timedOut
    ? {
        code: 'tool_timeout',
        statusCode: null,
        isRetryable: false,
        message: `The tool did not answer within ${context.timeoutMs} ms.`,
      }
    : {
        code: 'tool_cancelled',
        statusCode: null,
        isRetryable: false,
        message: 'The execution was cancelled while the tool ran.',
      };
}
