import type { App } from '../../src/server/create-app.ts';
import { headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';

export interface RunBody {
  id: string;
  status: string;
  trigger: string;
  workflowVersion: number;
  input: unknown;
  output: unknown;
  costUsd: number;
  error: { code: string; message: string } | null;
  steps: Array<{
    stepId: string;
    status: string;
    input: unknown;
    output: unknown;
    executionId: string | null;
    executionIds: string[];
    attempts: number;
    startedAt: string | null;
    finishedAt: string | null;
    error: { code: string; message: string } | null;
  }>;
}

/** Workflow calls as the fixture's owner token. */
export function workflowClient(app: App, fixture: WorkspaceFixture, credentials = fixture.tokens.owner) {
  const base = `/api/workspaces/${fixture.workspaceId}`;
  const request = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, payload?: unknown) =>
    app.inject({
      method,
      url: `${base}${path}`,
      headers: headersFor(credentials),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  return {
    request,
    async createWorkflow(body: Record<string, unknown>) {
      const response = await request('POST', '/workflows', body);
      if (response.statusCode !== 201) throw new Error(`workflow create failed: ${response.body}`);
      return response.json() as { id: string; slug: string; versionId: string; version: number };
    },
    async startRun(workflowId: string, body: Record<string, unknown>) {
      const response = await request('POST', `/workflows/${workflowId}/runs`, body);
      if (response.statusCode !== 202) throw new Error(`run start failed: ${response.body}`);
      return response.json() as RunBody;
    },
    async getRun(runId: string) {
      const response = await request('GET', `/runs/${runId}`);
      if (response.statusCode !== 200) throw new Error(`run read failed: ${response.body}`);
      return response.json() as RunBody;
    },
    /** Polls until the run is in one of `statuses` (default: any end state). */
    async waitForRun(runId: string, statuses = ['completed', 'failed', 'cancelled'], timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await this.getRun(runId);
        if (statuses.includes(run.status)) return run;
        if (Date.now() > deadline)
          throw new Error(`run ${runId} still ${run.status}: ${JSON.stringify(run)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}
