import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApprovalService } from '../../services/workflows/approval-service.ts';
import type { RunService } from '../../services/workflows/run-service.ts';
import { accessOf } from '../authentication.ts';
import { authenticated, errorResponses, errorSchema, listOf, workspaceIdParams } from '../schemas.ts';
import { agentParams } from './agent-routes.ts';
import { contextRequestSchema, recordReplayFields, runSchema } from './workflow-schemas.ts';

const approvalParams = workspaceIdParams.extend({ approvalId: z.string().min(1).max(64) });
const runParams = workspaceIdParams.extend({ runId: z.string().min(1).max(64) });
const artifactParams = workspaceIdParams.extend({ artifactId: z.string().min(1).max(100) });

const approvalSchema = z.object({
  id: z.string(),
  runId: z.string(),
  workflowId: z.string(),
  stepId: z.string(),
  attempt: z.number().int(),
  revision: z.number().int(),
  status: z.string(),
  reason: z.string(),
  output: z.unknown(),
  editedOutput: z.unknown(),
  estimateUsd: z.number().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: z.date().nullable(),
  comment: z.string().nullable(),
  feedback: z.string().nullable(),
  expiresAt: z.date().nullable(),
  createdAt: z.date(),
});

const artifactSchema = z.object({
  id: z.string(),
  runId: z.string(),
  stepId: z.string(),
  type: z.string(),
  version: z.number().int(),
  source: z.string(),
  approvalId: z.string().nullable(),
  executionId: z.string().nullable(),
  content: z.unknown(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
});

const approvalDetailSchema = approvalSchema.extend({
  stepInput: z.unknown(),
  artifact: artifactSchema.nullable(),
  earlierOutputs: z.record(z.string(), z.unknown()),
  runStatus: z.string().nullable(),
  runCostUsd: z.number(),
});

const feedbackBody = z
  .object({ feedback: z.string().trim().min(1, { message: 'say what to change' }).max(20_000) })
  .strict();

/** The approvals inbox and decisions, run artifacts, and agent work sessions. */
export function approvalRoutes(dependencies: {
  approvals: ApprovalService;
  runs: RunService;
}): FastifyPluginAsyncZod {
  const { approvals, runs } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/approvals',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['approvals'],
          summary: 'Approvals, newest first (the inbox: ?status=pending), with workflow, run and age filters',
          security: authenticated,
          params: workspaceIdParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(200).optional(),
            status: z.enum(['pending', 'approved', 'rejected', 'revision_requested', 'cancelled']).optional(),
            workflowId: z.string().min(1).max(64).optional(),
            runId: z.string().min(1).max(64).optional(),
            olderThanMinutes: z.coerce.number().int().min(0).max(525_600).optional(),
          }),
          response: { 200: listOf(approvalSchema), ...errorResponses },
        },
      },
      async (request) => approvals.list(accessOf(request), request.query),
    );

    app.get(
      '/api/workspaces/:workspaceId/approvals/:approvalId',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['approvals'],
          summary:
            "One approval with the step's input, the proposed output, its artifact, earlier outputs and the cost so far",
          security: authenticated,
          params: approvalParams,
          response: { 200: approvalDetailSchema, ...errorResponses },
        },
      },
      async (request) => approvals.get(accessOf(request), request.params.approvalId),
    );

    app.post(
      '/api/workspaces/:workspaceId/approvals/:approvalId/approve',
      {
        config: { permission: 'approve' },
        schema: {
          tags: ['approvals'],
          summary:
            'Approve (optionally with a comment and an edited output that replaces the step output downstream)',
          security: authenticated,
          params: approvalParams,
          body: z
            .object({ comment: z.string().max(20_000).optional(), output: z.unknown().optional() })
            .strict(),
          response: { 200: approvalSchema, ...errorResponses },
        },
      },
      async (request) => approvals.approve(accessOf(request), request.params.approvalId, request.body),
    );

    app.post(
      '/api/workspaces/:workspaceId/approvals/:approvalId/reject',
      {
        config: { permission: 'approve' },
        schema: {
          tags: ['approvals'],
          summary: 'Reject with feedback: the run fails and its later steps are skipped',
          security: authenticated,
          params: approvalParams,
          body: feedbackBody,
          response: { 200: approvalSchema, ...errorResponses },
        },
      },
      async (request) => approvals.reject(accessOf(request), request.params.approvalId, request.body),
    );

    app.post(
      '/api/workspaces/:workspaceId/approvals/:approvalId/request-revision',
      {
        config: { permission: 'approve' },
        schema: {
          tags: ['approvals'],
          summary:
            'Send the step back with feedback: it runs again with the feedback added to its prompt (at most 3 times)',
          security: authenticated,
          params: approvalParams,
          body: feedbackBody,
          response: { 200: approvalSchema, ...errorResponses },
        },
      },
      async (request) =>
        approvals.requestRevision(accessOf(request), request.params.approvalId, request.body),
    );

    app.get(
      '/api/workspaces/:workspaceId/runs/:runId/artifacts',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['runs'],
          summary: "The run's typed artifacts, every version (one per attempt, revision and edit)",
          security: authenticated,
          params: runParams,
          response: { 200: z.object({ items: z.array(artifactSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await approvals.listArtifacts(accessOf(request), request.params.runId) }),
    );

    app.get(
      '/api/workspaces/:workspaceId/artifacts/:artifactId',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['runs'],
          summary: 'One artifact version with every version of its step',
          security: authenticated,
          params: artifactParams,
          response: { 200: artifactSchema.extend({ versions: z.array(artifactSchema) }), ...errorResponses },
        },
      },
      async (request) => approvals.getArtifact(accessOf(request), request.params.artifactId),
    );

    app.post(
      '/api/workspaces/:workspaceId/agents/:agentId/runs',
      {
        config: { permission: 'run_agents', rateLimit: 'execution' },
        schema: {
          tags: ['runs'],
          summary:
            'Start a work session: one agent task as a run reviewed by approvalStrategy (default checkpoint_required)',
          security: authenticated,
          params: agentParams,
          body: z
            .object({
              /** Optional for a replay, which replays the recorded session's input. */
              input: z.unknown().optional(),
              mode: z.enum(['live', 'mock', 'replay']).default('live'),
              ...recordReplayFields,
              approvalStrategy: z
                .enum(['none', 'checkpoint_required', 'final_only', 'auto_approve_low_risk'])
                .default('checkpoint_required'),
              context: contextRequestSchema.optional(),
            })
            .strict(),
          response: { 202: runSchema, ...errorResponses, 422: errorSchema, 503: errorSchema },
        },
      },
      async (request, reply) =>
        reply
          .status(202)
          .send(await runs.startSession(accessOf(request), request.params.agentId, request.body)),
    );
  };
}
