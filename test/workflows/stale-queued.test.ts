import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { startWorkflowRuntime } from '../../src/services/workflows/start-workflow-runtime.ts';
import { inTransaction } from '../../src/store/repositories/index.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp } from '../support/test-app.ts';

describe('a run recorded but never enqueued', () => {
  it('is handed to the queue by the next start of the workers and completes', async () => {
    const testApp = await createTestApp();
    try {
      const fixture = await createWorkspaceFixture(testApp.services, 'stale-queued');
      const access = {
        workspaceId: fixture.workspaceId,
        role: 'owner' as const,
        userId: fixture.users.owner,
        tokenId: null,
      };
      const agent = await testApp.services.agents.create(access, {
        name: 'Plain',
        provider: 'mock',
        model: 'mock-model',
      });
      const workflow = await testApp.services.workflows.create(access, {
        name: 'Lost job',
        steps: [{ id: 'only', agent: agent.slug, input: {} }],
      });
      // What start() writes before it enqueues, as if the process died between the two.
      const runId = newId();
      await inTransaction(testApp.store.database, (scoped) =>
        scoped.workflowRuns.insert(
          {
            id: runId,
            workspaceId: fixture.workspaceId,
            workflowId: workflow.id,
            workflowVersionId: workflow.versionId,
            workflowVersion: workflow.version,
            status: 'queued',
            mode: 'mock',
            trigger: 'manual',
            input: {},
            createdBy: fixture.users.owner,
            actingRole: 'owner',
            createdAt: new Date(Date.now() - 5 * 60_000),
          },
          [
            {
              runId,
              stepId: 'only',
              workspaceId: fixture.workspaceId,
              position: 0,
              kind: 'agent',
              status: 'pending',
            },
          ],
        ),
      );
      const runtime = await startWorkflowRuntime({
        store: testApp.store,
        services: testApp.services,
        workers: 2,
      });
      try {
        const deadline = Date.now() + 20_000;
        let status = 'queued';
        while (status !== 'completed' && Date.now() < deadline) {
          status = (await testApp.services.repositories.workflowRuns.statusOf(runId)) ?? 'missing';
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(status).toBe('completed');
      } finally {
        await runtime.stop(1_000);
      }
    } finally {
      await testApp.close();
    }
  }, 60_000);
});
