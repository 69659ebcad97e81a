import { Cron } from 'croner';
import type {
  AgentStepDefinition,
  ApprovalStrategy,
  HttpStepDefinition,
  WorkflowDefinition,
  WorkflowProblem,
  WorkflowStepDefinition,
} from '../../core/workflow/workflow-definition.ts';
import { slugify } from '../agents/agent-definition.ts';

/** What a create request gives: name and steps; everything else has a default. */
export interface WorkflowInput {
  name: string;
  slug?: string;
  description?: string;
  inputSchema?: Record<string, unknown> | null;
  approvalStrategy?: ApprovalStrategy;
  riskRule?: WorkflowDefinition['riskRule'];
  costCapUsd?: number | null;
  triggers?: { webhook?: boolean; schedule?: string | null; timezone?: string | null };
  steps: WorkflowStepInput[];
}

/** A step as requests give it: `kind` may be left out for agent steps. */
export type WorkflowStepInput =
  | (Omit<AgentStepDefinition, 'kind' | 'input'> & { kind?: 'agent'; input?: Record<string, unknown> })
  | HttpStepDefinition;

export type WorkflowPatch = Partial<WorkflowInput>;

/** A complete definition from a request: defaults filled, a slug made from the name when absent. */
export function definitionFromInput(input: WorkflowInput): WorkflowDefinition {
  return {
    slug: input.slug ?? slugify(input.name),
    name: input.name,
    description: input.description ?? '',
    inputSchema: input.inputSchema ?? null,
    approvalStrategy: input.approvalStrategy ?? 'none',
    riskRule: input.riskRule ?? null,
    costCapUsd: input.costCapUsd ?? null,
    triggers: {
      webhook: input.triggers?.webhook ?? false,
      schedule: input.triggers?.schedule ?? null,
      timezone: input.triggers?.timezone ?? null,
    },
    steps: input.steps.map(
      (step) =>
        ({
          ...step,
          kind: step.kind ?? 'agent',
          ...((step.kind ?? 'agent') === 'agent' ? { input: (step as { input?: unknown }).input ?? {} } : {}),
        }) as WorkflowStepDefinition,
    ),
  };
}

/** The stored definition with a patch applied (top-level fields replace; `triggers` merges). */
export function applyWorkflowPatch(current: WorkflowDefinition, patch: WorkflowPatch): WorkflowDefinition {
  return definitionFromInput({
    ...current,
    ...patch,
    triggers: { ...current.triggers, ...patch.triggers },
    steps: patch.steps ?? current.steps,
  });
}

/** Problems with the trigger settings: a cron expression croner cannot read, an unknown time zone. */
export function checkTriggers(definition: WorkflowDefinition): WorkflowProblem[] {
  const { schedule, timezone } = definition.triggers;
  if (schedule === null) {
    return timezone === null
      ? []
      : [
          {
            pointer: '/triggers/timezone',
            code: 'schedule_invalid',
            message: 'A time zone only applies to a schedule: set triggers.schedule too, or remove it.',
          },
        ];
  }
  try {
    new Cron(schedule, { timezone: timezone ?? undefined, paused: true }).nextRun();
    return [];
  } catch (error) {
    const onTimezone = timezone !== null && !isTimezone(timezone);
    return [
      {
        pointer: onTimezone ? '/triggers/timezone' : '/triggers/schedule',
        code: 'schedule_invalid',
        message: onTimezone
          ? `"${timezone}" is not a time zone. Use an IANA name such as Europe/Berlin or UTC.`
          : `"${schedule}" is not a cron expression croner can read (${(error as Error).message}). Use five or six fields, e.g. "0 9 * * 1-5".`,
      },
    ];
  }
}

/** The first tick of a schedule after `after`, or null without one. */
export function nextScheduleTick(definition: WorkflowDefinition, after: Date): Date | null {
  const { schedule, timezone } = definition.triggers;
  if (schedule === null) return null;
  return new Cron(schedule, { timezone: timezone ?? undefined, paused: true }).nextRun(after);
}

function isTimezone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
