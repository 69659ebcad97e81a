import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import type { Execution, ExecutionMode } from '../api/api-types.ts';
import type { ToolStreamEvent } from '../api/tool-types.ts';
import { api } from './api.ts';
import { agentKeys } from './use-agents.ts';
import { executionKeys } from './use-executions.ts';
import { guardrailKeys } from './use-guardrails.ts';

/** What the run did, in order: model text between tool calls, each call, and its result. */
export type RunTimelineEntry = { type: 'text'; text: string } | ToolStreamEvent;

export type StreamedRun =
  | { phase: 'idle' }
  | { phase: 'streaming'; text: string; execution: Execution | null; timeline: RunTimelineEntry[] }
  | { phase: 'done'; text: string; execution: Execution; timeline: RunTimelineEntry[] }
  | { phase: 'error'; text: string; error: unknown; timeline: RunTimelineEntry[] };

/** Adds an event to the timeline; text deltas join the text entry they follow. */
function appendToTimeline(timeline: RunTimelineEntry[], entry: RunTimelineEntry): RunTimelineEntry[] {
  const last = timeline.at(-1);
  if (entry.type === 'text' && last?.type === 'text') {
    return [...timeline.slice(0, -1), { type: 'text', text: last.text + entry.text }];
  }
  return [...timeline, entry];
}

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
      let timeline: RunTimelineEntry[] = [];
      setRun({ phase: 'streaming', text, execution, timeline });
      try {
        for await (const event of api.streamExecution(
          workspaceId,
          agentId,
          versionId === undefined ? { input, mode } : { input, mode, versionId },
          abort.signal,
        )) {
          if (event.type === 'text-delta') {
            text += event.text;
            timeline = appendToTimeline(timeline, { type: 'text', text: event.text });
          } else if (event.type === 'execution-start' || event.type === 'execution-end') {
            execution = event.execution;
          } else {
            timeline = appendToTimeline(timeline, event);
          }
          setRun(
            event.type === 'execution-end'
              ? { phase: 'done', text, execution: event.execution, timeline }
              : { phase: 'streaming', text, execution, timeline },
          );
        }
      } catch (error) {
        if (!abort.signal.aborted) setRun({ phase: 'error', text, error, timeline });
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
