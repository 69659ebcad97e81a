import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { roles } from '../../security/permissions.ts';
import type { Services } from '../../services/create-services.ts';
import { accessOf, actorOf } from '../authentication.ts';
import {
  authenticated,
  emailSchema,
  errorResponses,
  listOf,
  nameSchema,
  workspaceIdParams,
} from '../schemas.ts';

const memberSchema = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.string(),
  status: z.enum(['active', 'invited', 'pending']),
  emailVerified: z.boolean(),
  createdAt: z.date(),
});
const memberParams = workspaceIdParams.extend({ userId: z.string().min(1).max(64) });

/** Members: list, add or invite, change role, remove. */
export function memberRoutes(dependencies: Pick<Services, 'members'>): FastifyPluginAsyncZod {
  const { members } = dependencies;
  return async (app) => {
    app.get(
      '/api/workspaces/:workspaceId/members',
      {
        config: { permission: 'read' },
        schema: {
          tags: ['members'],
          summary: 'List members',
          security: authenticated,
          params: workspaceIdParams,
          response: { 200: listOf(memberSchema), ...errorResponses },
        },
      },
      async (request) => ({ items: await members.list(accessOf(request)), nextCursor: null }),
    );

    app.post(
      '/api/workspaces/:workspaceId/members',
      {
        config: { permission: 'manage_members' },
        schema: {
          tags: ['members'],
          summary:
            'Add a user by email: a new address gets an invitation (emailed, or a one-time set-password link returned when email is off); an existing, unverified account joins as pending until its holder accepts',
          security: authenticated,
          params: workspaceIdParams,
          body: z.object({ email: emailSchema, role: z.enum(roles), name: nameSchema.optional() }).strict(),
          response: {
            201: z.object({
              member: memberSchema,
              invitation: z
                .object({
                  delivery: z.enum(['email', 'link']),
                  setPasswordUrl: z.string().nullable(),
                  expiresAt: z.date(),
                  emailProblem: z.string().nullable(),
                })
                .nullable(),
              existingAccount: z.boolean(),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const access = accessOf(request);
        const added = await members.add(access, request.body, actorOf(request));
        return reply.status(201).send(added);
      },
    );

    app.patch(
      '/api/workspaces/:workspaceId/members/:userId',
      {
        config: { permission: 'manage_members' },
        schema: {
          tags: ['members'],
          summary: "Change a member's role (the last owner cannot be demoted)",
          security: authenticated,
          params: memberParams,
          body: z.object({ role: z.enum(roles) }).strict(),
          response: { 200: memberSchema, ...errorResponses },
        },
      },
      async (request) => {
        const access = accessOf(request);
        const { member } = await members.changeRole(
          access,
          request.params.userId,
          request.body.role,
          actorOf(request),
        );
        return member;
      },
    );

    app.delete(
      '/api/workspaces/:workspaceId/members/:userId',
      {
        config: { permission: 'manage_members' },
        schema: {
          tags: ['members'],
          summary: 'Remove a member (the last owner cannot be removed)',
          security: authenticated,
          params: memberParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const access = accessOf(request);
        await members.remove(access, request.params.userId, actorOf(request));
        return reply.status(204).send(null);
      },
    );
  };
}
