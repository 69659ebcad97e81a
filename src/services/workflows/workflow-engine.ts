import type { Clock } from '../../core/clock.ts';
import { FlightdeckError } from '../../core/errors.ts';
import { dependenciesOf, finalSteps } from '../../core/workflow/check-workflow-definition.ts';
import type { WorkflowDefinition, WorkflowStepDefinition } from '../../core/workflow/workflow-definition.ts';
import type {
  Repositories,
  StepOutcome,
  WorkflowRunRow,
  WorkflowStepRunRow,
} from '../../store/repositories/index.ts';
import { createSilentLogger, type Logger } from '../../telemetry/logger.ts';
import { traceStep } from '../../telemetry/tracing.ts';
import type { ExecutionService } from '../executions/execution-service.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import { loadContext } from './context-document-service.ts';
import type { RunSignals } from './run-signals.ts';
import { type PreparedStep, prepareStep, runPreparedStep } from './run-step.ts';
import { type ApprovalNotifier, createStepGate } from './step-gate.ts';

export interface WorkflowEngineDependencies {
  repositories: Repositories;
  clock: Clock;
  /** The same execution path as the test panel: budgets, rate limits, retries, pricing, history. */
  executions: () => ExecutionService;
  /** Decrypts the workspace secrets an http step's headers name. */
  resolveSecrets: (workspaceId: string, names: readonly string[]) => Promise<Record<string, string>>;
  /** The SSRF-guarded fetch http steps go through. */
  httpFetch: typeof globalThis.fetch;
  signals: RunSignals;
  /** Tells people an approval waits; nothing is sent when absent. */
  notifyApproval?: ApprovalNotifier;
  logger?: Logger;
  /** Identifies this process on the steps it claims. */
  workerId: string;
  /** Steps of one run in flight at once. */
  stepConcurrency?: number;
  /** How often a driver with steps in flight looks for a cancel made on another node. */
  cancelPollMs?: number;
}

const terminalStepStatuses = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/** Drives runs: the worker that holds a run's job calls `drive` with the job's lease signal. */
export function createWorkflowEngine(dependencies: WorkflowEngineDependencies) {
  const { repositories, clock, signals } = dependencies;
  const logger = dependencies.logger ?? createSilentLogger();
  const stepConcurrency = dependencies.stepConcurrency ?? 8;
  const cancelPollMs = dependencies.cancelPollMs ?? 1_000;

  /** Ends the run from its steps' states; false while something is still open. */
  async function settle(
    run: WorkflowRunRow,
    definition: WorkflowDefinition,
    steps: ReadonlyMap<string, WorkflowStepRunRow>,
  ): Promise<boolean> {
    const rows = [...steps.values()];
    const failed = rows.find((step) => step.status === 'failed');
    const open = rows.some((step) => !terminalStepStatuses.has(step.status));
    if (failed && !rows.some((step) => step.status === 'running')) {
      await repositories.workflowRuns.finish(
        run.id,
        {
          status: 'failed',
          output: null,
          errorCode: 'step_failed',
          errorMessage: `Step "${failed.stepId}" failed: ${failed.errorMessage ?? failed.errorCode ?? 'unknown error'}`,
        },
        clock.now(),
      );
      return true;
    }
    if (open) return false;
    const finals = finalSteps(definition);
    const output =
      finals.length === 1
        ? (steps.get(finals[0] ?? '')?.output ?? null)
        : Object.fromEntries(finals.map((stepId) => [stepId, steps.get(stepId)?.output ?? null]));
    await repositories.workflowRuns.finish(
      run.id,
      { status: 'completed', output, errorCode: null, errorMessage: null },
      clock.now(),
    );
    return true;
  }

  return {
    /**
     * Drives one run from its stored state until it ends, waits for a person, or the lease is lost.
     * Safe to call on any run at any time: a finished run is left alone, a committed step never
     * runs again, and a step left `running` by a lost lease is claimed anew (attempt + 1).
     */
    async drive(runId: string, leaseSignal: AbortSignal): Promise<void> {
      let run = await repositories.workflowRuns.findById(runId);
      if (!run) return;
      if (run.status === 'queued') {
        await repositories.workflowRuns.start(runId, clock.now());
        signals.notify(runId);
        run = { ...run, status: 'running' };
      }
      if (run.status === 'waiting_approval' && (await repositories.workflowApprovals.resumeRun(runId))) {
        // A decision queued this job: look again at what can run (it may wait again).
        run = { ...run, status: 'running' };
      }
      if (run.status !== 'running') return;
      const version = await repositories.workflows.findVersion(run.workspaceId, run.workflowVersionId);
      if (!version) throw new Error(`run ${runId} points at a missing workflow version`);
      const definition = version.definition as unknown as WorkflowDefinition;
      const needsOf = dependenciesOf(definition);
      const stepsById = new Map(definition.steps.map((step) => [step.id, step]));
      const states = new Map(
        (await repositories.workflowRuns.listSteps(runId)).map((row) => [row.stepId, row]),
      );
      const access: WorkspaceAccess = {
        workspaceId: run.workspaceId,
        role: run.actingRole as WorkspaceAccess['role'],
        userId: run.createdBy ?? '',
        tokenId: run.tokenId,
      };
      // The run's context documents at their pinned versions, read once per driver when a step needs them.
      let contextTexts: Promise<Record<string, string>> | undefined;
      const contextOnce = () => {
        contextTexts ??= loadContext(repositories, run.workspaceId, run.context);
        return contextTexts;
      };
      const gate = createStepGate({
        repositories,
        clock,
        run,
        definition,
        finalStepIds: new Set(finalSteps(definition)),
        access,
        notify: dependencies.notifyApproval ?? (async () => undefined),
      });

      const controller = new AbortController();
      const onLease = () => controller.abort(new Error('lease lost'));
      // Set when a claim or a commit did not land: a cancel, or another driver holding a newer lease
      // for this run, moved the step. This driver stops at once instead of going on from what it
      // believes: it would otherwise claim the step back (each claim a new provider call) and two
      // drivers could bounce a step between them until pg-boss noticed the older lease was gone.
      let overtaken = false;
      // The first statement that failed in a step task. Returning after it would complete the job
      // and leave the run `running` with no job to drive it (a brief blip of the database was
      // enough); rethrowing hands the run back to the queue.
      let failure: unknown;
      const stopOvertaken = (stepId: string) => {
        overtaken = true;
        logger.info({ runId, stepId }, 'workflow step moved by another driver or a cancel; stopping');
        controller.abort(new Error('step moved elsewhere'));
      };
      leaseSignal.addEventListener('abort', onLease, { once: true });
      const release = signals.holdRun(runId, controller);
      const inFlight = new Map<string, Promise<void>>();
      let cancelTimer: NodeJS.Timeout | undefined;
      const wakeOnCancel = new Promise<void>((resolve) => {
        controller.signal.addEventListener('abort', () => resolve(), { once: true });
      });

      const launch = (step: WorkflowStepDefinition, previous: WorkflowStepRunRow) => {
        const task = traceStep({ runId, stepId: step.id, kind: step.kind ?? 'agent' }, async () => {
          const prepared: PreparedStep = await prepareStep({
            step,
            run: run,
            states,
            stepIds: new Set(stepsById.keys()),
            resolveSecrets: dependencies.resolveSecrets,
            definition,
            context: await contextOnce(),
          });
          const capEstimate =
            prepared.kind === 'agent'
              ? await gate.capExceededBy(step, prepared.input, dependencies.executions(), prepared.context)
              : null;
          // Claimed from exactly what this driver saw: a step still `pending`/`ready`, or the very
          // attempt it found `running` (left by a lost lease, or its own commit that did not land).
          const attempt = await repositories.workflowRuns.claimStep(runId, step.id, {
            fromStatuses: previous.status === 'running' ? ['running'] : ['pending', 'ready'],
            attempt: previous.attempt,
            workerId: dependencies.workerId,
            input: prepared.inputView,
            now: clock.now(),
          });
          if (attempt === undefined) {
            stopOvertaken(step.id);
            return;
          }
          states.set(step.id, { ...previous, status: 'running', attempt });
          signals.notify(runId);
          if (capEstimate !== null) {
            // Running it would pass the run's cost cap: a person decides (approving raises the cap).
            if (await gate.park(step, attempt, 'cost_cap', null, capEstimate)) {
              states.set(step.id, { ...previous, status: 'waiting_approval', attempt });
            }
            signals.notify(runId);
            return;
          }
          const outcome: StepOutcome = await runPreparedStep({
            prepared,
            step,
            run: run,
            access,
            attempt,
            recovering: previous.status === 'running',
            committedExecutionIds: previous.executionIds,
            executions: dependencies.executions(),
            repositories,
            httpFetch: dependencies.httpFetch,
            abortSignal: controller.signal,
          });
          // A failure made by our own abort (lease lost, overtaken, cancelled) is not the step's:
          // committing it would fail a run the next lease holder can finish. Leave the attempt
          // `running` for that holder to claim again; a completed outcome may still land.
          if (controller.signal.aborted && outcome.status === 'failed') return;
          if (outcome.status === 'waiting_approval') {
            // The agent's tool loop asks a person about a call; the step runs again after the
            // decision and the loop continues from its stored state (run-step.ts).
            if (await gate.park(step, attempt, 'tool_call', outcome, null)) {
              states.set(step.id, {
                ...previous,
                status: 'waiting_approval',
                attempt,
                output: outcome.output,
              });
            }
            signals.notify(runId);
            return;
          }
          const reason = outcome.status === 'completed' ? await gate.reasonFor(step, outcome.output) : null;
          if (reason !== null) {
            if (await gate.park(step, attempt, reason, outcome, null)) {
              states.set(step.id, {
                ...previous,
                status: 'waiting_approval',
                attempt,
                output: outcome.output,
              });
            }
            signals.notify(runId);
            return;
          }
          const committed = await repositories.workflowRuns.commitStep(
            runId,
            step.id,
            attempt,
            outcome,
            clock.now(),
          );
          if (committed) await gate.recordArtifact(step, outcome);
          if (!committed) stopOvertaken(step.id);
          else {
            states.set(step.id, {
              ...previous,
              status: outcome.status,
              attempt,
              output: outcome.output,
              executionId: outcome.executionId,
              costUsd: outcome.costUsd,
              errorCode: outcome.errorCode,
              errorMessage: outcome.errorMessage,
            });
          }
          signals.notify(runId);
        })
          .catch((error: unknown) => {
            // Only the database failing gets here (step failures are outcomes): give the lease back.
            logger.error({ err: error, runId, stepId: step.id }, 'workflow step could not be recorded');
            failure ??= error;
            controller.abort(error);
          })
          .finally(() => inFlight.delete(step.id));
        inFlight.set(step.id, task);
      };
      try {
        while (!controller.signal.aborted) {
          const failed = [...states.values()].some((state) => state.status === 'failed');
          if (!failed) {
            for (const step of definition.steps) {
              if (inFlight.size >= stepConcurrency) break;
              const state = states.get(step.id);
              if (!state || inFlight.has(step.id)) continue;
              if (!['pending', 'ready', 'running'].includes(state.status)) continue;
              const ready = (needsOf.get(step.id) ?? []).every(
                (dependency) => states.get(dependency)?.status === 'completed',
              );
              if (ready) launch(step, state);
            }
          }
          if (inFlight.size === 0) {
            if (!(await settle(run, definition, states))) {
              // Nothing runnable and not finished: waiting for a person (approvals hold no worker).
              if (await repositories.workflowApprovals.pauseRun(runId)) signals.notify(runId);
              return;
            }
            signals.notify(runId);
            return;
          }
          cancelTimer = setTimeout(() => {
            void repositories.workflowRuns
              .statusOf(runId)
              .then((status) => {
                if (status !== 'running') controller.abort(new Error(`run ${status}`));
              })
              .catch(() => {});
          }, cancelPollMs);
          await Promise.race([...inFlight.values(), wakeOnCancel]);
          clearTimeout(cancelTimer);
        }
        // Cancelled or lease lost: let the aborted calls wind down; their commits no longer match.
        await Promise.allSettled([...inFlight.values()]);
      } finally {
        clearTimeout(cancelTimer);
        leaseSignal.removeEventListener('abort', onLease);
        release();
      }
      if (failure !== undefined) throw failure;
      if (overtaken && !leaseSignal.aborted) {
        // Cancelled or finished elsewhere: nothing left to drive. Still running: hand the run back,
        // so whoever holds it next starts from the stored state (the queue's fencing ignores this
        // hand-back when our lease had already gone to another worker).
        const status = await repositories.workflowRuns.statusOf(runId);
        if (status !== 'running') return;
      }
      if (leaseSignal.aborted || overtaken) {
        throw new FlightdeckError({
          code: 'lease_lost',
          kind: 'unavailable',
          message: 'The run lease was lost.',
        });
      }
    },
  };
}

export type WorkflowEngine = ReturnType<typeof createWorkflowEngine>;
