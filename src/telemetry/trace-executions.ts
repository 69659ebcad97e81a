import { SpanKind } from '@opentelemetry/api';
import type { ExecutionAround } from './observe-executions.ts';
import { inSpan, markError } from './tracing.ts';

/**
 * `agent.execute` around one execution's provider calls (the `chat` spans nest inside it), with its
 * outcome as GenAI (`invoke_agent`) and `flightdeck.*` attributes: cost, retries, fallback.
 */
export const traceExecution: ExecutionAround = (execution, run) =>
  inSpan(
    'agent.execute',
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.id': execution.execution.agentId,
        'flightdeck.execution.id': execution.execution.id,
        'flightdeck.execution.mode': execution.execution.mode,
        'flightdeck.execution.trigger': execution.execution.trigger,
      },
    },
    async (span) => {
      const view = await run();
      if (!span.isRecording()) return view;
      const names = await execution.labels.catch(() => null);
      span.setAttributes({
        ...(names ? { 'gen_ai.agent.name': names.agent, 'flightdeck.workspace': names.workspace } : {}),
        ...(view.provider ? { 'gen_ai.provider.name': view.provider } : {}),
        ...(view.model ? { 'gen_ai.response.model': view.model } : {}),
        'gen_ai.usage.input_tokens': view.usage.inputTokens,
        'gen_ai.usage.output_tokens': view.usage.outputTokens,
        'flightdeck.execution.status': view.status,
        'flightdeck.cost_usd': view.costUsd ?? 0,
        'flightdeck.retries': view.retries,
        'flightdeck.attempts': view.attempts.length,
        'flightdeck.fallback_used': view.fallbackUsed,
      });
      if (view.status === 'failed') markError(span, view.error?.code ?? 'unknown');
      return view;
    },
  );
