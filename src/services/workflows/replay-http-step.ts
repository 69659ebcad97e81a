import { stableStringify } from '../../core/stable-stringify.ts';
import { describeDifferences, requestDifferences } from '../../llm/index.ts';
import type { Repositories, StepOutcome, WorkflowRunRow } from '../../store/repositories/index.ts';

/**
 * An http step of a replayed run: no request is sent. The recorded run's step answer is used when
 * the rendered request (secret headers masked, as the step stores it) is the one it sent;
 * otherwise the step fails `replay_mismatch` naming the differing fields.
 */
export async function replayHttpStep(input: {
  prepared: { inputView: unknown };
  run: WorkflowRunRow;
  stepId: string;
  repositories: Repositories;
}): Promise<StepOutcome> {
  const { run, stepId } = input;
  const failed = (code: string, message: string): StepOutcome => ({
    status: 'failed',
    output: null,
    executionId: null,
    costUsd: 0,
    errorCode: code,
    errorMessage: message,
  });
  const recorded = run.replayOf
    ? (await input.repositories.workflowRuns.listSteps(run.replayOf)).find((step) => step.stepId === stepId)
    : undefined;
  if (recorded?.status !== 'completed') {
    return failed(
      'recording_not_found',
      `Step "${stepId}" did not complete in the recorded run ${run.replayOf ?? ''}, so there is no answer to replay.`,
    );
  }
  if (stableStringify(recorded.input) !== stableStringify(input.prepared.inputView)) {
    const differences = requestDifferences(recorded.input, input.prepared.inputView);
    return failed(
      'replay_mismatch',
      `The http request of step "${stepId}" differs from the recorded run's: ${describeDifferences(differences)}.`,
    );
  }
  return {
    status: 'completed',
    output: recorded.output,
    executionId: null,
    costUsd: 0,
    errorCode: null,
    errorMessage: null,
  };
}
