import { backoffDelay } from '../../core/backoff-delay.ts';
import { systemClock } from '../../core/clock.ts';
import { FlightdeckError } from '../../core/errors.ts';
import type { WorkflowDefinition, WorkflowStepDefinition } from '../../core/workflow/workflow-definition.ts';
import { collectReferences, renderWorkflowValue } from '../../core/workflow/workflow-template.ts';
import type {
  Repositories,
  StepOutcome,
  WorkflowRunRow,
  WorkflowStepRunRow,
} from '../../store/repositories/index.ts';
import type { ExecutionService } from '../executions/execution-service.ts';
import { type ExecutionView, toExecutionView } from '../executions/execution-view.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import { replayHttpStep } from './replay-http-step.ts';
import { type HttpStepRequest, maskHttpRequest, runHttpStep } from './run-http-step.ts';
import type { RunMode } from './run-view.ts';
import { revisionPrompt } from './step-gate.ts';
import { findToolLoopResume, toolCallApprovalOutput } from './tool-approval-resume.ts';

/** A step ready to run: its rendered input, or the reason it cannot run. */
export type PreparedStep =
  | {
      kind: 'agent';
      input: unknown;
      inputView: unknown;
      promptAddition: string | undefined;
      context: Readonly<Record<string, string>>;
    }
  | { kind: 'http'; request: HttpStepRequest; inputView: unknown; secretValues: string[]; timeoutMs: number }
  | { kind: 'invalid'; inputView: unknown; code: string; message: string };

const defaultHttpTimeoutMs = 30_000;

/** The idempotency key of one attempt of one step: a replayed attempt answers with its first execution. */
export const stepExecutionKey = (runId: string, stepId: string, attempt: number) =>
  `workflow:${runId}:${stepId}:${attempt}`;

/** Renders a step's input from the run input and the committed outputs of the steps before it. */
export async function prepareStep(input: {
  step: WorkflowStepDefinition;
  run: WorkflowRunRow;
  states: ReadonlyMap<string, WorkflowStepRunRow>;
  stepIds: ReadonlySet<string>;
  resolveSecrets: (workspaceId: string, names: readonly string[]) => Promise<Record<string, string>>;
  definition: WorkflowDefinition;
  /** The run's context documents by name, for `{{ context.<name> }}` in agent templates. */
  context: Readonly<Record<string, string>>;
}): Promise<PreparedStep> {
  const { step, run, stepIds } = input;
  const state = input.states.get(step.id);
  const stepOutputs: Record<string, unknown> = {};
  for (const [stepId, state] of input.states) {
    if (state.status === 'completed')
      Object.defineProperty(stepOutputs, stepId, { value: state.output, enumerable: true });
  }
  const context = { runInput: run.input, stepOutputs };
  try {
    if (step.kind === 'agent') {
      // A work session's one step takes the run input whole (it is the agent's input).
      const rendered = (input.definition as { session?: boolean }).session
        ? run.input
        : renderWorkflowValue(step.input, stepIds, context);
      const promptAddition = state?.revisionFeedback
        ? revisionPrompt(state.revisionFeedback, state.output)
        : undefined;
      return { kind: 'agent', input: rendered, inputView: rendered, promptAddition, context: input.context };
    }
    const headers = step.headers ?? {};
    const secretNames = new Set<string>();
    const secretHeaders = new Set<string>();
    for (const [name, value] of Object.entries(headers)) {
      for (const { reference } of collectReferences(value, stepIds)) {
        if (reference.scope !== 'secret') continue;
        secretNames.add(reference.name);
        secretHeaders.add(name);
      }
    }
    const secrets = secretNames.size > 0 ? await input.resolveSecrets(run.workspaceId, [...secretNames]) : {};
    const request: HttpStepRequest = {
      url: String(renderWorkflowValue(step.url, stepIds, context)),
      method: step.method ?? 'POST',
      headers: renderWorkflowValue(headers, stepIds, { ...context, secrets }) as Record<string, string>,
      body: step.body === undefined ? undefined : renderWorkflowValue(step.body, stepIds, context),
    };
    return {
      kind: 'http',
      request,
      inputView: maskHttpRequest(request, secretHeaders),
      secretValues: Object.values(secrets),
      timeoutMs: step.timeoutMs ?? defaultHttpTimeoutMs,
    };
  } catch (error) {
    if (!FlightdeckError.isInstance(error)) throw error;
    return { kind: 'invalid', inputView: null, code: error.code, message: error.message };
  }
}

/** Execution failures a step retry may get past; refusals (budget, input, keys) will not change. */
const retryableStepErrors = new Set([
  'provider_unavailable',
  'provider_timeout',
  'provider_rate_limited',
  'provider_invalid_response',
  'output_invalid',
]);

const failed = (
  code: string,
  message: string,
  executionId: string | null = null,
  costUsd = 0,
): StepOutcome => ({
  status: 'failed',
  output: null,
  executionId,
  costUsd,
  errorCode: code,
  errorMessage: message,
});

function outcomeOfExecution(execution: ExecutionView): StepOutcome {
  // What the step cost includes its agent's tool calls (agent tools' child executions).
  const costUsd = execution.totalCostUsd ?? execution.costUsd ?? 0;
  if (execution.status === 'completed') {
    return {
      status: 'completed',
      output: execution.output,
      executionId: execution.id,
      costUsd,
      errorCode: null,
      errorMessage: null,
    };
  }
  if (execution.status === 'waiting_approval') {
    return {
      status: 'waiting_approval',
      output: toolCallApprovalOutput(execution),
      executionId: execution.id,
      costUsd,
      errorCode: null,
      errorMessage: null,
    };
  }
  return failed(
    execution.error?.code ?? 'execution_failed',
    execution.error?.message ?? 'The agent execution failed.',
    execution.id,
    costUsd,
  );
}

/** Runs one claimed attempt of a step. Never throws for a step's own failure: that is an outcome. */
export async function runPreparedStep(input: {
  prepared: PreparedStep;
  step: WorkflowStepDefinition;
  run: WorkflowRunRow;
  access: WorkspaceAccess;
  attempt: number;
  /** The step was left `running` by a worker that lost its lease. */
  recovering: boolean;
  /** Executions the step already committed (or parked for approval): never reused. */
  committedExecutionIds: readonly string[];
  executions: ExecutionService;
  repositories: Repositories;
  httpFetch: typeof globalThis.fetch;
  abortSignal: AbortSignal;
}): Promise<StepOutcome> {
  const { prepared, step, run } = input;
  if (prepared.kind === 'invalid') return failed(prepared.code, prepared.message);
  try {
    if (prepared.kind === 'http' && run.mode === 'replay') {
      // A replay calls no network: the recorded run's answer, if the request is the one it sent.
      return await replayHttpStep({ prepared, run, stepId: step.id, repositories: input.repositories });
    }
    if (prepared.kind === 'http') {
      const result = await runHttpStep({
        request: prepared.request,
        fetch: input.httpFetch,
        timeoutMs: prepared.timeoutMs,
        abortSignal: input.abortSignal,
        secretValues: prepared.secretValues,
      });
      return {
        status: 'completed',
        output: result.output,
        executionId: null,
        costUsd: 0,
        errorCode: null,
        errorMessage: null,
      };
    }
    if (step.kind !== 'agent') throw new Error('prepared agent input for a non-agent step');
    if (input.recovering && input.attempt > 1) {
      // The lost worker may have finished its execution before it could commit the step: use it
      // rather than calling the provider a second time. The step's newest execution, not only the
      // previous attempt's: that attempt may itself have been a recovery that reused the result and
      // was lost before committing it (a kill right after a reclaim). One the step already committed
      // or parked for approval is the output a revision replaces, never this attempt's result.
      const latest = await input.repositories.workflowRuns.latestStepExecution(run, step.id);
      if (latest?.status === 'completed' && !input.committedExecutionIds.includes(latest.id)) {
        return outcomeOfExecution(toExecutionView(latest));
      }
    }
    // A tool call of the agent waited for a person: continue its loop with the decision.
    const toolLoop = await findToolLoopResume(input.repositories, run, step.id);
    if (toolLoop?.kind === 'repark') return outcomeOfExecution(toolLoop.execution);
    // The step's own retry policy, on top of the agent's provider retries: a step whose execution
    // failed for a reason that may pass (provider trouble, an invalid answer) runs again, each try
    // its own execution and idempotency key. Budget, input and key refusals are not retried.
    const maxTries = Math.max(1, Math.min(10, step.retry?.maxAttempts ?? 1));
    let outcome: StepOutcome = failed('step_not_run', 'The step did not run.');
    for (let attemptTry = 1; attemptTry <= maxTries; attemptTry++) {
      const key = stepExecutionKey(run.id, step.id, input.attempt);
      const execution = await input.executions.prepare(
        input.access,
        step.agent,
        {
          input: prepared.input,
          mode: run.mode as RunMode,
          // A recorded run records each step's execution; a replay answers it from the recorded step.
          ...(run.record ? { record: true } : {}),
          ...(run.mode === 'replay' && run.replayOf
            ? { replayOf: { runId: run.replayOf, stepId: step.id } }
            : {}),
          promptAddition: prepared.promptAddition,
          context: prepared.context,
          ...(toolLoop?.kind === 'resume' && attemptTry === 1 ? { resume: toolLoop.resume } : {}),
        },
        {
          trigger: 'workflow',
          idempotencyKey: attemptTry === 1 ? key : `${key}:try${attemptTry}`,
          workflowRunId: run.id,
          workflowStepId: step.id,
        },
      );
      const tried = outcomeOfExecution(
        execution.kind === 'replay'
          ? execution.execution
          : await execution.run({ stream: false, abortSignal: input.abortSignal }),
      );
      outcome = { ...tried, costUsd: outcome.costUsd + tried.costUsd };
      if (tried.status !== 'failed' || input.abortSignal.aborted || attemptTry === maxTries) break;
      if (!retryableStepErrors.has(tried.errorCode ?? '')) break;
      // The one backoff (full jitter, as for provider calls), from the step's own bounds.
      const delayMs = backoffDelay({
        retryNumber: attemptTry,
        baseDelayMs: step.retry?.baseDelayMs ?? 1_000,
        maxDelayMs: step.retry?.maxDelayMs ?? 30_000,
        random: Math.random,
      });
      await systemClock.sleep(delayMs, input.abortSignal).catch(() => undefined);
      if (input.abortSignal.aborted) break;
    }
    return outcome;
  } catch (error) {
    if (FlightdeckError.isInstance(error)) return failed(error.code, error.message);
    throw error;
  }
}
