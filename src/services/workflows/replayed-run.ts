import { invalidError } from '../../core/errors.ts';
import type { Repositories, WorkflowRunRow } from '../../store/repositories/index.ts';
import { recordingNotFound } from '../executions/execution-recording.ts';

/**
 * The recorded run a replay starts from, checked before anything is written: it must be a run of
 * the same workflow in this workspace with recorded agent steps. A run of another workspace is as
 * unknown as one that never existed (404).
 */
export async function replayedRun(
  repositories: Repositories,
  workspaceId: string,
  workflowId: string,
  request: { mode: string; replayOf?: string },
): Promise<WorkflowRunRow | null> {
  if (request.mode !== 'replay') {
    if (request.replayOf !== undefined) {
      throw invalidError(
        'replay_of_without_replay',
        'replayOf is only read with mode "replay". Set mode to "replay" or drop replayOf.',
        { field: 'replayOf' },
      );
    }
    return null;
  }
  if (request.replayOf === undefined) {
    throw invalidError(
      'replay_of_required',
      'Mode "replay" needs replayOf: the id of a recorded run of this workflow.',
      { field: 'replayOf' },
    );
  }
  const run = await repositories.workflowRuns.find(workspaceId, request.replayOf);
  if (!run || !(await repositories.recordedExchanges.runHasRecording(workspaceId, run.id))) {
    throw recordingNotFound(
      run
        ? 'This run was not recorded. Start it live with record: true (or the workspace setting recordExecutions), then replay that run.'
        : 'No workflow run with this id in this workspace.',
      { field: 'replayOf', replayOf: request.replayOf },
    );
  }
  if (run.workflowId !== workflowId) {
    throw invalidError(
      'replay_of_other_workflow',
      'replayOf names a run of another workflow. Replay it through that workflow.',
      { field: 'replayOf', workflowId: run.workflowId },
    );
  }
  return run;
}
