import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import type { Execution, ExecutionMode } from '../api/api-types.ts';
import { api } from './api.ts';
import { agentKeys } from './use-agents.ts';
import { executionKeys } from './use-executions.ts';
import { guardrailKeys } from './use-guardrails.ts';

export type StreamedRun =
  | { phase: 'idle' }
  | { phase: 'streaming'; text: string; execution: Execution | null }
  | { phase: 'done'; text: string; execution: Execution }
  | { phase: 'error'; text: string; error: unknown };

/** One streamed test run: text as it arrives, then the finished record (or the API's error). */
export function useStreamedRun(workspaceId: string, agentId: string) {
  const queryClient = useQueryClient();
  const [run, setRun] = useState<StreamedRun>({ phase: 'idle' });
  const controller = useRef<AbortController | null>(null);

  const start = useCallback(
    async (input: unknown, mode: ExecutionMode, versionId?: string) => {
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      let text = '';
      let execution: Execution | null = null;
      setRun({ phase: 'streaming', text, execution });
      try {
        for await (const event of api.streamExecution(
          workspaceId,
          agentId,
          versionId === undefined ? { input, mode } : { input, mode, versionId },
          abort.signal,
        )) {
          if (event.type === 'text-delta') text += event.text;
          else execution = event.execution;
          setRun(
            event.type === 'execution-end'
              ? { phase: 'done', text, execution: event.execution }
              : { phase: 'streaming', text, execution },
          );
        }
      } catch (error) {
        if (!abort.signal.aborted) setRun({ phase: 'error', text, error });
      } finally {
        await queryClient.invalidateQueries({ queryKey: executionKeys.all(workspaceId) });
        await queryClient.invalidateQueries({ queryKey: agentKeys.all(workspaceId) });
        // A live run spends budget and may cross an alert threshold.
        await queryClient.invalidateQueries({ queryKey: guardrailKeys.usage(workspaceId) });
        await queryClient.invalidateQueries({ queryKey: guardrailKeys.notifications(workspaceId) });
      }
    },
    [workspaceId, agentId, queryClient],
  );

  const stop = useCallback(() => controller.current?.abort(), []);
  return { run, start, stop };
}
