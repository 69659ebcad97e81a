import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { createRunMonitor } from '../api/run-monitor.ts';
import { api } from './api.ts';
import { runKeys } from './use-runs.ts';

/** Subscribes to one run kept live by `createRunMonitor` (SSE, resumed after drops). */
export function useRunMonitor(workspaceId: string, runId: string) {
  const queryClient = useQueryClient();
  const monitor = useMemo(() => createRunMonitor({ api, workspaceId, runId }), [workspaceId, runId]);
  useEffect(() => {
    monitor.start();
    return () => monitor.stop();
  }, [monitor]);
  const state = useSyncExternalStore(monitor.subscribe, monitor.getState);
  const status = state.run?.status;
  // The runs list shows statuses too: each change of this run refreshes it.
  useEffect(() => {
    if (status) void queryClient.invalidateQueries({ queryKey: runKeys.all(workspaceId) });
  }, [status, workspaceId, queryClient]);
  return { ...state, monitor };
}
