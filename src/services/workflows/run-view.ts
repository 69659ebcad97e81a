import type {
  WorkflowRunEventRow,
  WorkflowRunRow,
  WorkflowStepRunRow,
} from '../../store/repositories/index.ts';

import {
  type RunStatus,
  runStatuses as runStatusValues,
  type StepStatus,
  stepStatuses as stepStatusValues,
} from '../../store/schema/index.ts';

export type { RunStatus, StepStatus };
export type RunTrigger = 'manual' | 'webhook' | 'schedule';
/** `replay`: every agent step answers from the recording of the run named by `replayOf`. */
export type RunMode = 'live' | 'mock' | 'replay';
export const runModes: readonly RunMode[] = ['live', 'mock', 'replay'];

// Widened to plain arrays because the routes hand them to `z.enum` as mutable tuples.
export const runStatuses: readonly RunStatus[] = runStatusValues;
export const stepStatuses: readonly StepStatus[] = stepStatusValues;
export const runTriggers: readonly RunTrigger[] = ['manual', 'webhook', 'schedule'];

export interface StepRunView {
  stepId: string;
  kind: 'agent' | 'http';
  status: StepStatus;
  /** The input as rendered for the latest attempt (secret header values masked). */
  input: unknown;
  output: unknown;
  executionId: string | null;
  executionIds: string[];
  attempts: number;
  costUsd: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: { code: string; message: string } | null;
}

export interface RunView {
  id: string;
  workflowId: string;
  workflowVersionId: string;
  workflowVersion: number;
  status: RunStatus;
  mode: RunMode;
  trigger: RunTrigger;
  input: unknown;
  output: unknown;
  error: { code: string; message: string } | null;
  costUsd: number;
  /** The run's cost cap: the workflow's, plus what approvers added; null without one. */
  costCapUsd: number | null;
  /** The context documents handed to the agents, at the versions pinned when the run started. */
  context: Array<{ documentId: string; name: string; version: number }>;
  steps: StepRunView[];
  /** Every agent step's provider exchanges were recorded, so the run can be replayed. */
  record: boolean;
  /** Mode `replay`: the recorded run it replays; null otherwise. */
  replayOf: string | null;
  createdBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface RunEventView {
  sequence: number;
  type: string;
  stepId: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

export function toStepRunView(row: WorkflowStepRunRow): StepRunView {
  return {
    stepId: row.stepId,
    kind: row.kind as StepRunView['kind'],
    status: row.status as StepStatus,
    input: row.input ?? null,
    output: row.output ?? null,
    executionId: row.executionId,
    executionIds: row.executionIds,
    attempts: row.attempt,
    costUsd: row.costUsd,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
  };
}

export function toRunView(row: WorkflowRunRow, steps: readonly WorkflowStepRunRow[]): RunView {
  return {
    id: row.id,
    workflowId: row.workflowId,
    workflowVersionId: row.workflowVersionId,
    workflowVersion: row.workflowVersion,
    status: row.status as RunStatus,
    mode: row.mode as RunMode,
    trigger: row.trigger as RunTrigger,
    input: row.input ?? null,
    output: row.output ?? null,
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
    costUsd: row.costUsd,
    costCapUsd: row.costCapUsd,
    context: row.context ?? [],
    steps: steps.map(toStepRunView),
    record: row.record,
    replayOf: row.replayOf,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export function toRunEventView(row: WorkflowRunEventRow): RunEventView {
  return {
    sequence: row.sequence,
    type: row.type,
    stepId: row.stepId,
    data: row.data,
    createdAt: row.createdAt,
  };
}
