import { type Span, SpanKind } from '@opentelemetry/api';
import { inSpan } from './tracing.ts';

/**
 * `execute_tool {name}` around one tool call, under `agent.execute` (GenAI semantic conventions:
 * `gen_ai.tool.name`, `gen_ai.tool.call.id`). Arguments and results are never put on the span:
 * they may carry what a user typed, and an http tool's request carries secrets.
 */
export function traceToolCall<Result>(
  call: { name: string; callId: string; kind: string },
  work: (span: Span) => Promise<Result>,
): Promise<Result> {
  return inSpan(
    `execute_tool ${call.name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': call.name,
        'gen_ai.tool.call.id': call.callId,
        'gen_ai.tool.type': call.kind === 'agent' ? 'agent' : 'function',
        'flightdeck.tool.kind': call.kind,
      },
    },
    work,
  );
}
