import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { WorkflowDefinition, WorkflowProblem } from '../api/workflow-types.ts';
import { type GroupedProblems, groupProblems, problemsFromError } from '../lib/workflow-problems.ts';
import { api } from './api.ts';

const none: GroupedProblems = { byStep: new Map(), byField: new Map(), general: [] };

/**
 * The server's save-time check of the draft as you type (`POST …/workflows/validate`), 400 ms after the
 * last change. A draft the request schema refuses comes back as problems too, with their pointers.
 * Problems are sorted onto steps by the definition they were found in (pointers hold step indexes).
 */
export function useWorkflowValidation(workspaceId: string, definition: WorkflowDefinition) {
  const [settled] = useDebouncedValue(definition, 400);
  // An unnamed draft is checked under a stand-in name: the name box says it is missing.
  const body = useMemo(
    () =>
      settled.steps.length === 0
        ? null
        : JSON.stringify({ ...settled, name: settled.name.trim() || 'Untitled' }),
    [settled],
  );
  const query = useQuery({
    queryKey: ['workflows', workspaceId, 'validate', body],
    queryFn: async ({ signal }) => {
      const checked = JSON.parse(body ?? '{}') as WorkflowDefinition;
      let problems: WorkflowProblem[];
      try {
        problems = (await api.validateWorkflow(workspaceId, checked, signal)).problems;
      } catch (error) {
        const refused = problemsFromError(error);
        if (!refused) throw error;
        problems = refused;
      }
      return { problems, grouped: groupProblems(checked, problems) };
    },
    enabled: body !== null,
    placeholderData: keepPreviousData,
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
  const empty = body === null;
  return {
    problems: empty ? [] : (query.data?.problems ?? []),
    grouped: empty ? none : (query.data?.grouped ?? none),
    checking: definition !== settled || query.isFetching,
    /** The check itself failed (network, permission): not a problem with the draft. */
    error: query.error,
    /** Whether the answer is for what is on screen now. */
    current: !empty && definition === settled && query.isSuccess && !query.isPlaceholderData,
  };
}
