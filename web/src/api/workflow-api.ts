import type { List } from './api-types.ts';
import type { HttpClient } from './http-client.ts';
import { readEventStream } from './read-event-stream.ts';
import type {
  Run,
  RunEvent,
  RunFilters,
  RunMode,
  WebhookSecret,
  Workflow,
  WorkflowDefinition,
  WorkflowValidation,
  WorkflowVersion,
} from './workflow-types.ts';

/** Workflows and their runs, as plain async functions over the console's HTTP client. No React here. */
export function createWorkflowApi(http: HttpClient) {
  const workspacePath = (workspaceId: string, rest: string) =>
    `/api/workspaces/${encodeURIComponent(workspaceId)}${rest}`;
  const workflowPath = (workspaceId: string, workflowId: string, rest = '') =>
    workspacePath(workspaceId, `/workflows/${encodeURIComponent(workflowId)}${rest}`);
  const runPath = (workspaceId: string, runId: string, rest = '') =>
    workspacePath(workspaceId, `/runs/${encodeURIComponent(runId)}${rest}`);

  return {
    listWorkflows: (workspaceId: string, query: { search?: string; cursor?: string; limit?: number } = {}) =>
      http.request<List<Workflow>>('GET', workspacePath(workspaceId, '/workflows'), { query }),
    getWorkflow: (workspaceId: string, workflowId: string) =>
      http.request<Workflow>('GET', workflowPath(workspaceId, workflowId)),
    createWorkflow: (workspaceId: string, body: WorkflowDefinition) =>
      http.request<Workflow>('POST', workspacePath(workspaceId, '/workflows'), { body }),
    updateWorkflow: (workspaceId: string, workflowId: string, body: Partial<WorkflowDefinition>) =>
      http.request<Workflow>('PATCH', workflowPath(workspaceId, workflowId), { body }),
    deleteWorkflow: (workspaceId: string, workflowId: string) =>
      http.request<void>('DELETE', workflowPath(workspaceId, workflowId)),
    /** The save-time check without saving: every problem with its JSON pointer. */
    validateWorkflow: (workspaceId: string, body: WorkflowDefinition, signal?: AbortSignal) =>
      http.request<WorkflowValidation>('POST', workspacePath(workspaceId, '/workflows/validate'), {
        body,
        signal,
      }),
    listWorkflowVersions: (workspaceId: string, workflowId: string, query: { limit?: number } = {}) =>
      http.request<List<WorkflowVersion>>('GET', workflowPath(workspaceId, workflowId, '/versions'), {
        query,
      }),
    rotateWebhookSecret: (workspaceId: string, workflowId: string) =>
      http.request<WebhookSecret>('POST', workflowPath(workspaceId, workflowId, '/webhook-secret')),

    startRun: (
      workspaceId: string,
      workflowId: string,
      body: { input?: unknown; mode: RunMode; record?: boolean; replayOf?: string },
    ) => http.request<Run>('POST', workflowPath(workspaceId, workflowId, '/runs'), { body }),
    listRuns: (workspaceId: string, filters: RunFilters = {}) =>
      http.request<List<Run>>('GET', workspacePath(workspaceId, '/runs'), { query: { ...filters } }),
    getRun: (workspaceId: string, runId: string) => http.request<Run>('GET', runPath(workspaceId, runId)),
    cancelRun: (workspaceId: string, runId: string) =>
      http.request<Run>('POST', runPath(workspaceId, runId, '/cancel')),
    retryRun: (workspaceId: string, runId: string) =>
      http.request<Run>('POST', runPath(workspaceId, runId, '/retry')),

    /**
     * The run's stored events after `after`, then live ones, until the server ends the stream
     * (after `run-end`). A plain GET: the session cookie authenticates it, no CSRF token needed.
     */
    async *streamRunEvents(
      workspaceId: string,
      runId: string,
      options: { after?: number; signal?: AbortSignal } = {},
    ): AsyncGenerator<RunEvent> {
      const response = await http.send('GET', runPath(workspaceId, runId, '/events'), {
        query: { after: options.after || undefined },
        headers: { accept: 'text/event-stream' },
        signal: options.signal,
      });
      if (!response.body) return;
      for await (const event of readEventStream(response.body)) {
        yield JSON.parse(event.data) as RunEvent;
      }
    },
  };
}

export type WorkflowApi = ReturnType<typeof createWorkflowApi>;
