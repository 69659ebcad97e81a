import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../../services/audit/audit-log.ts';
import type { WorkflowInput, WorkflowPatch } from '../../services/workflows/workflow-input.ts';
import type { WorkflowService } from '../../services/workflows/workflow-service.ts';
import { accessOf, actorOf } from '../authentication.ts';
import { authenticated, errorResponses, listOf, workspaceIdParams } from '../schemas.ts';
import {
  validationSchema,
  webhookSecretSchema,
  workflowCreateBody,
  workflowPatchBody,
  workflowSchema,
  workflowVersionSchema,
} from './workflow-schemas.ts';

export const workflowParams = workspaceIdParams.extend({ workflowId: z.string().min(1).max(64) });

/** Workflow definitions: create, list, read, change (a new version each time), delete, validate, webhook secret. */
export function workflowRoutes(dependencies: {
  workflows: WorkflowService;
  audit: AuditLog;
}): FastifyPluginAsyncZod {
  const { workflows, audit } = dependencies;
  return async (app) => {
    app.post(
      '/api/workspaces/:workspaceId/workflows',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['workflows'],
          summary: 'Create a workflow (checked on save: 400 workflow_invalid with one detail per problem)',
          security: authenticated,
          params: workspaceIdParams,
          body: workflowCreateBody,
          response: { 201: workflowSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await workflows.create(accessOf(request), request.body as WorkflowInput)),
    );

    app.post(
      '/api/workspaces/:workspaceId/workflows/validate',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['workflows'],
          summary:
            'Check a definition without saving it: every problem with a JSON pointer, code and message',
          security: authenticated,
          params: workspaceIdParams,
          body: workflowCreateBody,
          response: { 200: validationSchema, ...errorResponses },
        },
      },
      async (request) => workflows.validate(accessOf(request), request.body as WorkflowInput),
    );

    app.get(
      '/api/workspaces/:workspaceId/workflows',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['workflows'],
          summary: 'Workflows, newest first',
          security: authenticated,
          params: workspaceIdParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(200).optional(),
            search: z.string().trim().min(1).max(200).optional(),
          }),
          response: { 200: listOf(workflowSchema), ...errorResponses },
        },
      },
      async (request) => workflows.list(accessOf(request), request.query),
    );

    app.get(
      '/api/workspaces/:workspaceId/workflows/:workflowId',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['workflows'],
          summary: 'One workflow (by id or slug) with its current definition',
          security: authenticated,
          params: workflowParams,
          response: { 200: workflowSchema, ...errorResponses },
        },
      },
      async (request) => workflows.get(accessOf(request), request.params.workflowId),
    );

    app.patch(
      '/api/workspaces/:workspaceId/workflows/:workflowId',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['workflows'],
          summary: 'Change a workflow: a new immutable version (runs keep the version they started on)',
          security: authenticated,
          params: workflowParams,
          body: workflowPatchBody,
          response: { 200: workflowSchema, ...errorResponses },
        },
      },
      async (request) =>
        workflows.update(accessOf(request), request.params.workflowId, request.body as WorkflowPatch),
    );

    app.delete(
      '/api/workspaces/:workspaceId/workflows/:workflowId',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['workflows'],
          summary: 'Delete a workflow (its runs and versions stay readable; its webhook and schedule stop)',
          security: authenticated,
          params: workflowParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await workflows.remove(accessOf(request), request.params.workflowId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/workflows/:workflowId/versions',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['workflows'],
          summary: 'Versions of a workflow, newest first',
          security: authenticated,
          params: workflowParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(20).optional(),
          }),
          response: { 200: listOf(workflowVersionSchema), ...errorResponses },
        },
      },
      async (request) => workflows.listVersions(accessOf(request), request.params.workflowId, request.query),
    );

    app.post(
      '/api/workspaces/:workspaceId/workflows/:workflowId/webhook-secret',
      {
        config: { permission: 'edit_agents' },
        schema: {
          tags: ['workflows'],
          summary:
            'Make a new webhook secret and answer the URL that holds it (shown once; the previous URL stops working)',
          security: authenticated,
          params: workflowParams,
          response: { 201: webhookSecretSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const access = accessOf(request);
        const rotated = await workflows.rotateWebhookSecret(access, request.params.workflowId);
        // Who can trigger the workflow changed: audited, without the secret or the URL that holds it.
        await audit.record(
          access.workspaceId,
          actorOf(request),
          'workflow.webhook_secret_rotated',
          { type: 'workflow', id: rotated.workflowId },
          { webhookEnabled: rotated.webhookEnabled },
        );
        return reply.status(201).send(rotated);
      },
    );
  };
}
