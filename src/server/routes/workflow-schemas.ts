import { z } from 'zod';

/** Request and response shapes of workflows and runs, shared by their route files. */

const slugSchema = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
  message: 'lower-case letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen',
});
const jsonObject = z.record(z.string(), z.unknown());
const stepIdSchema = z.string().min(1).max(64);

const stepRetrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(10),
    baseDelayMs: z.number().int().min(0).max(60_000),
    maxDelayMs: z.number().int().min(0).max(300_000),
  })
  .partial()
  .strict();

const commonStepFields = {
  id: stepIdSchema,
  needs: z.array(stepIdSchema).max(200).optional(),
  approval: z.enum(['required', 'never']).optional(),
  approvalTimeoutMinutes: z.number().int().min(1).max(525_600).optional(),
  onApprovalTimeout: z.enum(['approve', 'reject']).optional(),
  retry: stepRetrySchema.optional(),
  timeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
};

const agentStepSchema = z
  .object({
    ...commonStepFields,
    kind: z.literal('agent'),
    agent: z.string().min(1).max(200),
    input: jsonObject.default({}),
  })
  .strict();

const httpStepSchema = z
  .object({
    ...commonStepFields,
    kind: z.literal('http'),
    url: z.string().min(1).max(4_096),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    headers: z.record(z.string().min(1).max(200), z.string().max(8_192)).optional(),
    body: z.unknown().optional(),
  })
  .strict();

/** A step; `kind` defaults to `agent`. */
const stepSchema = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && !('kind' in value)
      ? { kind: 'agent', ...value }
      : value,
  z.discriminatedUnion('kind', [agentStepSchema, httpStepSchema]),
);

const riskRuleSchema = z
  .object({
    path: z.string().min(1).max(500),
    below: z.number().optional(),
    above: z.number().optional(),
    equals: z.unknown().optional(),
  })
  .strict();

const workflowFields = {
  name: z.string().trim().min(1).max(200),
  slug: slugSchema,
  description: z.string().max(2_000),
  inputSchema: jsonObject.nullable(),
  approvalStrategy: z.enum(['none', 'checkpoint_required', 'final_only', 'auto_approve_low_risk']),
  riskRule: riskRuleSchema.nullable(),
  costCapUsd: z.number().min(0).max(1_000_000).nullable(),
  triggers: z
    .object({
      webhook: z.boolean().optional(),
      schedule: z.string().trim().min(1).max(200).nullable().optional(),
      timezone: z.string().trim().min(1).max(64).nullable().optional(),
    })
    .strict(),
  steps: z.array(stepSchema).min(1).max(200),
};

export const workflowCreateBody = z
  .object({
    ...workflowFields,
    slug: workflowFields.slug.optional(),
    description: workflowFields.description.optional(),
    inputSchema: workflowFields.inputSchema.optional(),
    approvalStrategy: workflowFields.approvalStrategy.optional(),
    riskRule: workflowFields.riskRule.optional(),
    costCapUsd: workflowFields.costCapUsd.optional(),
    triggers: workflowFields.triggers.optional(),
  })
  .strict();

export const workflowPatchBody = z.object(workflowFields).partial().strict();

const problemSchema = z.object({ pointer: z.string(), code: z.string(), message: z.string() });

export const validationSchema = z.object({ valid: z.boolean(), problems: z.array(problemSchema) });

const definitionShape = {
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  inputSchema: jsonObject.nullable(),
  approvalStrategy: z.string(),
  riskRule: z.unknown(),
  costCapUsd: z.number().nullable(),
  triggers: z.object({
    webhook: z.boolean(),
    schedule: z.string().nullable(),
    timezone: z.string().nullable(),
  }),
  // Steps come back exactly as stored (key order kept); their shape is the request's.
  steps: z.array(z.unknown()),
};

export const workflowSchema = z.object({
  id: z.string(),
  ...definitionShape,
  version: z.number().int(),
  versionId: z.string(),
  webhookSecretSet: z.boolean(),
  nextScheduledAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const workflowVersionSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  number: z.number().int(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  definition: z.object(definitionShape),
});

export const webhookSecretSchema = z.object({
  workflowId: z.string(),
  secret: z.string(),
  url: z.string(),
  webhookEnabled: z.boolean(),
});

const errorShape = z.object({ code: z.string(), message: z.string() }).nullable();

export const stepRunSchema = z.object({
  stepId: z.string(),
  kind: z.enum(['agent', 'http']),
  status: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  executionId: z.string().nullable(),
  executionIds: z.array(z.string()),
  attempts: z.number().int(),
  costUsd: z.number(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  error: errorShape,
});

export const runSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  workflowVersionId: z.string(),
  workflowVersion: z.number().int(),
  status: z.string(),
  mode: z.enum(['live', 'mock', 'replay']),
  trigger: z.enum(['manual', 'webhook', 'schedule']),
  input: z.unknown(),
  output: z.unknown(),
  error: errorShape,
  costUsd: z.number(),
  costCapUsd: z.number().nullable(),
  context: z.array(z.object({ documentId: z.string(), name: z.string(), version: z.number().int() })),
  steps: z.array(stepRunSchema),
  record: z.boolean(),
  replayOf: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});

/** Context documents a run hands its agents (`{{ context.<name> }}`), by id or name, latest or a version. */
export const contextRequestSchema = z
  .array(
    z
      .object({ documentId: z.string().min(1).max(100), version: z.number().int().min(1).optional() })
      .strict(),
  )
  .max(20);

/** Record a live run for replay, or replay a recorded one (`mode: "replay"`, input and context default to its own). */
export const recordReplayFields = {
  record: z.boolean().optional(),
  replayOf: z.string().min(1).max(64).optional(),
};

export const startRunBody = z
  .object({
    /** Optional for a replay, which replays the recorded run's input. */
    input: z.unknown().optional(),
    mode: z.enum(['live', 'mock', 'replay']).default('live'),
    context: contextRequestSchema.optional(),
    ...recordReplayFields,
  })
  .strict();
